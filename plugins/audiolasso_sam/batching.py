"""Splitting one dynamic batch into ``separate`` calls that fit in GPU memory.

``@serve.batch`` bounds a batch by count; what runs out is memory, which grows
with items x padded length x reranking candidates. Items are grouped by what
must be uniform within one call, sorted longest first (each call pads to its
first item) and packed greedily under the budget.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

# Working memory at bf16/fp16 relative to float32. Only the DiT and the vision
# encoder run at half precision; the codec's 48 kHz decoder feature maps, which
# dominate, stay float32. An estimate: bench/sam_gpu_smoke.py measures it
# (its JSON's "fit" section), as it measures the variants' per-second figures.
DTYPE_MEMORY_FACTOR = {"float32": 1.0, "bfloat16": 0.8, "float16": 0.8}


@dataclass(frozen=True)
class MemoryModel:
    bytes_per_second: float  # per item and candidate, at the configured dtype
    candidates: int
    budget_bytes: float

    def cost(self, items: int, longest_seconds: float) -> float:
        return items * self.candidates * longest_seconds * self.bytes_per_second


def plan_sub_batches(seconds: list[float], groups: Sequence[Hashable], memory: MemoryModel) -> list[list[int]]:
    """Indices of the items for each call: one group per call, each call within
    the budget, except an item over budget on its own, which runs alone."""
    members: dict[Hashable, list[int]] = {}
    for index, group in enumerate(groups):
        members.setdefault(group, []).append(index)
    calls: list[list[int]] = []
    for indices in members.values():
        indices.sort(key=lambda i: seconds[i], reverse=True)
        current: list[int] = []
        for i in indices:
            if current and memory.cost(len(current) + 1, seconds[current[0]]) > memory.budget_bytes:
                calls.append(current)
                current = []
            current.append(i)
        calls.append(current)
    return calls
