#!/usr/bin/env bash
# hlkit on The Littlest JupyterHub (one server, up to ~100 learners), run once as root on the server after TLJH's
# own installer (https://tljh.jupyter.org, "Installing on your own server"). Sizing per learner as on Kubernetes
# (deploy/z2jh/config.yaml) and from the same measurements: docs/instructors.md, "Running a class".
#   sudo bash deploy/tljh/setup.sh [REPO_URL]      REPO_URL: your copy of hlkit (default: the URL below)
set -euo pipefail
repo=${1:-https://github.com/OWNER/hlkit}
user_pip=/opt/tljh/user/bin/pip       # the learners' environment (TLJH's "user environment")

# CPU-only PyTorch first (pip alone may pick a multi-GB CUDA build), then hlkit and nbgitpuller
"$user_pip" install --index-url https://download.pytorch.org/whl/cpu "torch==2.13.0"
"$user_pip" install "hlkit @ git+$repo" "nbgitpuller>=1.2"

# per learner: a memory limit (the kernel is restarted above it) and one core; JupyterLab by default
tljh-config set limits.memory 1200M
tljh-config set limits.cpu 1
tljh-config set user_environment.default_app jupyterlab
# stop servers idle for an hour (TLJH runs jupyterhub-idle-culler; these are its settings)
tljh-config set services.cull.enabled true
tljh-config set services.cull.timeout 3600
tljh-config set services.cull.every 300
# one thread per learner for PyTorch and BLAS, as in tests/hub/ and on Kubernetes
cat > /opt/tljh/config/jupyterhub_config.d/hlkit.py <<'PY'
c.Spawner.environment.update({"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"})
PY
tljh-config reload
echo "Done. Lesson links for your learners: hlkit links --repo $repo --hub https://YOUR-SERVER"
