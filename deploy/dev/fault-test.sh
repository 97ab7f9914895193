#!/usr/bin/env bash
# deploy/dev/fault-test.sh [--minutes N] [--sensors N] [--seed S] [--keep]
#
# The fault test: the whole stack on a temporary home under load (100 simulated sensors,
# diary entries over the CLI and HTTP), each service killed with kill -9 in turn and
# started again with deploy/stack start; then it checks that nothing acknowledged was lost
# or stored twice, no episode is left open, the frame-loss counters agree with storage,
# and every service still works. Short form (about 3 minutes) without --minutes; CI runs it
# from deploy/stack test. See deploy/dev/fault_test.py for what each check means.
#
# Executables: $SPASMWATCH_BIN, else the debug build (swift build first).
set -euo pipefail
cd "$(dirname "$0")/../.."
python3 -c 'import zmq' 2>/dev/null || {
    echo "fault-test: needs pyzmq: python3 -m pip install pyzmq (deploy/stack test installs it)" >&2
    exit 1
}
exec python3 deploy/dev/fault_test.py "$@"
