# Sourced by the project's commands: puts the project's own tools first on PATH.
# Node 22 from tools/node_modules comes before the machine's node, so jsii (which every CDK
# process starts) runs on a supported Node and prints no end-of-life banner.
_bpc_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$_bpc_root/.venv/bin:$_bpc_root/tools/node_modules/.bin:$_bpc_root/.tools/uv/bin:$PATH"
export VIRTUAL_ENV="$_bpc_root/.venv"
export UV_PYTHON_DOWNLOADS=never
# CDK and projen must never ask the network for notices or updates: only package registries are reachable.
export CDK_DISABLE_VERSION_CHECK=1
export PROJEN_DISABLE_POST=1
