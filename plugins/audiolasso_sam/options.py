"""Per-deployment settings of the ``sam-audio`` backend (``args.backends[].options``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Dtype = Literal["float32", "bfloat16", "float16"]
_DTYPE_ALIASES: dict[str, Dtype] = {
    "fp32": "float32",
    "float32": "float32",
    "float": "float32",
    "bf16": "bfloat16",
    "bfloat16": "bfloat16",
    "fp16": "float16",
    "float16": "float16",
    "half": "float16",
}


class SAMOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model_path: str | None = Field(
        None, description="Local directory holding the variant's config.json and checkpoint.pt."
    )
    text_encoder_path: str | None = Field(
        None, description="Local copy of the t5-base text encoder; unset: the Hugging Face cache (offline)."
    )
    span_predictor_path: str | None = Field(
        None,
        description="Local copy of facebook/pe-a-frame-large (revision perception_models), used with "
        "predict_spans; unset: the Hugging Face cache (offline).",
    )
    clap_checkpoint: str | None = Field(
        None, description="Local 630k-best.pt for a CLAP ranker (reranking); unset: the Hugging Face cache."
    )
    judge_path: str | None = Field(
        None, description="Local copy of facebook/sam-audio-judge for a judge ranker; unset: the Hugging Face cache."
    )
    imagebind_checkpoint: str | None = Field(
        None, description="Local imagebind_huge.pth for an ImageBind ranker (required by one)."
    )
    dtype: Dtype = Field(
        "float32",
        description="Compute precision of the networks (torch.autocast); weights, the ODE state and "
        "the output stay float32.",
    )
    reranking_candidates: int = Field(
        1, ge=1, le=16, description="Candidates per chunk, best kept by the rankers (loaded only when > 1)."
    )
    predict_spans: bool = Field(
        False, description="Predict where the prompt's sound occurs (loads the span predictor)."
    )
    ode_method: Literal["midpoint", "euler", "rk4"] = "midpoint"
    ode_steps: int = Field(16, ge=1, le=256, description="Fixed ODE steps over [0, 1]; the official default is 16.")
    memory_budget_gb: float | None = Field(
        None,
        gt=0,
        description="Working memory one separate call may use; unset: 90% of the GPU memory "
        "free after loading (set it when replicas share a GPU).",
    )
    activation_mb_per_second: float | None = Field(
        None, gt=0, description="Working memory per second of audio per item at float32; unset: the variant's estimate."
    )
    visual: bool = Field(False, description="Declare the visual capability: accept video_url/mask_url prompts.")
    remove_with: Literal["residual", "complement"] = Field(
        "residual",
        description='For "remove X": the model\'s own residual (generated with the target, from the same flow), '
        "or the mixture minus its target.",
    )

    @field_validator("dtype", mode="before")
    @classmethod
    def _dtype_alias(cls, value: Any) -> Any:
        if isinstance(value, str) and value.lower() in _DTYPE_ALIASES:
            return _DTYPE_ALIASES[value.lower()]
        return value

    @property
    def ode_opt(self) -> dict[str, Any]:
        """The ``ode_opt`` argument of ``SAMAudio.separate`` (torchdiffeq fixed-grid solver)."""
        return {"method": self.ode_method, "options": {"step_size": 1.0 / self.ode_steps}}
