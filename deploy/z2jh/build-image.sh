#!/usr/bin/env bash
# The learners' image for Zero to JupyterHub: what repo2docker builds from binder/ (CPU-only PyTorch, the lessons,
# hlkit installed by binder/postBuild), with two changes for a hub:
#   - the repository goes to /srv/hlkit, not the home folder: on a hub the home is each learner's own volume,
#     mounted over /home/jovyan, which would hide an editable hlkit installed there;
#   - nbgitpuller, so that `hlkit links --hub ...` links put the lessons into each learner's home.
# repo2docker's own base environment brings jupyterhub-singleuser (what the chart starts).
#
#   deploy/z2jh/build-image.sh IMAGE TAG     build IMAGE:TAG (needs docker and network), then push it
#   deploy/z2jh/build-image.sh --plan        print the Dockerfile only (no docker, no network): tests/hub/ reads it
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

appendix='RUN ${NB_PYTHON_PREFIX}/bin/python -m pip install --no-cache-dir "nbgitpuller>=1.2"'
common=(--target-repo-dir /srv/hlkit --appendix "$appendix" --user-id 1000 --user-name jovyan)

if [ "${1:-}" = "--plan" ]; then
  exec repo2docker --no-build --debug "${common[@]}" .
fi
image=${1:?usage: build-image.sh IMAGE TAG  (or --plan)}
tag=${2:?usage: build-image.sh IMAGE TAG  (or --plan)}
exec repo2docker --no-run "${common[@]}" --image-name "$image:$tag" .
