#!/usr/bin/env bash
# Build a separate virtual environment in which the sam-audio backend runs the
# REAL sam-audio code (no GPU or weights needed: the opt-in test and
# bench/sam_gpu_smoke.py build a tiny randomly initialised model).
#
# It layers on the project's venv (torch, transformers, ray, audiolasso itself
# come from there, untouched) and adds sam-audio and what it imports, from local
# checkouts of the git-only dependencies (nothing is cloned or committed here):
#
#   plugins/audiolasso_sam/scripts/setup_real_env.sh \
#       --sam-audio ~/src/sam-audio \            # facebookresearch/sam-audio @ SAM_AUDIO_COMMIT
#       --dacvae ~/src/dacvae \                  # facebookresearch/dacvae
#       --perception-models ~/src/perception_models \   # facebookresearch/perception_models, branch unpin-deps
#       [--imagebind ~/src/ImageBind --pytorchvideo ~/src/pytorchvideo] \   # the rankers, needed
#       [--clap ~/src/CLAP] \                    # only for reranking_candidates > 1
#       [--venv .venv-sam] [--base-venv .venv]
#
# Then:  .venv-sam/bin/python -m pytest -q tests/unit/test_sam_real_code.py
#        .venv-sam/bin/python bench/sam_gpu_smoke.py
set -euo pipefail

SAM_AUDIO_COMMIT=68b48d48fff1ad776d3afefbe634eb5f5d60ba7b  # keep in step with audiolasso_sam/loader.py
repo=$(cd "$(dirname "$0")/../../.." && pwd)
venv=$repo/.venv-sam
base=$repo/.venv
sam= dacvae= pm= imagebind= pytorchvideo= clap=
while [ $# -gt 0 ]; do
  case $1 in
    --sam-audio) sam=$2; shift 2 ;;
    --dacvae) dacvae=$2; shift 2 ;;
    --perception-models) pm=$2; shift 2 ;;
    --imagebind) imagebind=$2; shift 2 ;;
    --pytorchvideo) pytorchvideo=$2; shift 2 ;;
    --clap) clap=$2; shift 2 ;;
    --venv) venv=$2; shift 2 ;;
    --base-venv) base=$2; shift 2 ;;
    -h|--help) sed -n 2,21p "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
need() { [ -n "$2" ] && [ -e "$2/$3" ] || { echo "--$1 must be a checkout containing $3 (got '${2}')" >&2; exit 2; }; }
need sam-audio "$sam" sam_audio/model/base.py
need dacvae "$dacvae" dacvae/model/dacvae.py
need perception-models "$pm" core/audio_visual_encoder/pe.py
# ImageBind imports pytorchvideo, whose PyPI release (0.1.5) predates torchvision 0.17: ImageBind
# pins facebookresearch/pytorchvideo @ 6cdc929315aab1b5674b6dcf73b16ec99147735f.
[ -z "$imagebind" ] || need pytorchvideo "$pytorchvideo" pytorchvideo/transforms/augmentations.py
[ -x "$base/bin/python" ] || { echo "no project venv at $base (make test creates it)" >&2; exit 2; }
have=$(git -C "$sam" rev-parse HEAD 2>/dev/null || echo unknown)
if [ "$have" != "$SAM_AUDIO_COMMIT" ]; then
  echo "warning: $sam is at $have; audiolasso is tested against sam-audio $SAM_AUDIO_COMMIT" >&2
fi

"$base/bin/python" -m venv "$venv"
py=$venv/bin/python
site=$("$py" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
base_site=$("$base/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
# The project venv's packages (and its editable audiolasso) after this venv's own.
echo "import site; site.addsitedir('$base_site')" > "$site/_audiolasso_base.pth"

pip=("$py" -m pip --disable-pip-version-check -q)
# What sam-audio, dacvae and perception_models import, at versions built for the
# project's torch 2.9.1 (torchvision 0.24, torchcodec 0.8, xformers 0.0.33).
# --no-deps: their other declared requirements (wandb, lm-eval, ...) are not imported
# on the inference path, and their pins would shadow the project's packages.
"${pip[@]}" install --no-deps \
  torchvision==0.24.1 torchcodec==0.8.1 xformers==0.0.33.post2 torchdiffeq==0.2.5 \
  einops==0.8.2 pydub==0.25.1 timm==1.0.31 ftfy==6.3.1 wcwidth \
  descript-audiotools==0.7.2 argbind==0.3.9 docstring-parser \
  julius pyloudnorm flatten-dict ffmpy randomname fire markdown2 rich markdown-it-py mdurl pygments \
  importlib-resources tqdm pillow tensorboard tensorboard-data-server absl-py markdown werkzeug
"${pip[@]}" install --no-deps --no-build-isolation "$dacvae" "$pm" "$sam"
if [ -n "$imagebind" ]; then
  "${pip[@]}" install --no-deps iopath==0.1.10 portalocker fvcore==0.1.5.post20221221 yacs tabulate termcolor av
  "${pip[@]}" install --no-deps --no-build-isolation "$pytorchvideo" "$imagebind"
fi
[ -n "$clap" ] && "${pip[@]}" install --no-deps --no-build-isolation "$clap"

# torchcodec (imported by sam_audio) needs FFmpeg's shared libraries, 4 to 7, on the node.
if ! "$py" -c "import torchcodec.decoders" 2>/dev/null; then
  echo "torchcodec cannot load FFmpeg: install FFmpeg 4-7 shared libraries (Debian 12: apt-get install" \
    "libavcodec59 libavformat59 libavdevice59 libavfilter8 libswscale6 libswresample4), or point" \
    "LD_LIBRARY_PATH at them, then run this again" >&2
  exit 1
fi
"$py" - <<'PY'
import importlib.metadata as md
import sam_audio, torch, transformers, huggingface_hub  # noqa: F401  (the import is the check)
print("sam_audio importable from", sam_audio.__file__)
from sam_audio.ranking import imagebind
print("ImageBind ranker:", "available" if imagebind.__imagebind_exists__ else "not installed")
for name in ("torch", "torchvision", "torchcodec", "transformers", "huggingface_hub", "xformers", "dacvae", "perception_models"):
    print(f"  {name} {md.version(name)}")
PY
echo "ready: $venv"
