"""The ``sam-audio`` backend: Meta's SAM Audio (text, span and, when switched on,
visual prompts) on GPUs, one Separator per released variant.

Nothing is fetched at run time: ``sam_audio`` is installed and the weights are
downloaded by the operator (README, "SAM Audio"); the backend loads them from
a local directory and reports itself unavailable, with the reason, otherwise.
"""
