#!/usr/bin/env bash
# Wrapper: run one ipsec-secgw measurement (see run.py --help and README.md).
set -euo pipefail
exec /usr/bin/python3 "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/run.py" "$@"
