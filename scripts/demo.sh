#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make demo: boot Xen 4.17 + a PV dom0 under QEMU, load gntv3 and walk
# through a grant tree with tools/gntv3/gntv3-demo (see README.md).
set -euo pipefail

cd "$(dirname "$0")/.."
mkdir -p build/tools
gcc -static -O2 -Wall -Wextra -Iinclude/uapi -o build/tools/gntv3-demo \
	tools/gntv3/gntv3-demo.c
bash scripts/xenvm.sh run --name demo --dom0 tools/gntv3/demo-dom0.sh \
	--add build/module/gntv3.ko:/lib/modules/gntv3.ko \
	--add build/tools/gntv3-demo:/bin/gntv3-demo
