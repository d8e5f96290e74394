#!/usr/bin/env bash
# Build SpikeDesk's stand-alone one-folder bundle (PyInstaller; slow: several minutes), then check
# that a copy of it in an empty folder starts with no Python on PATH: --print-summary, and a real
# window under Xvfb when xvfb-run is installed.
#
#   bash packaging/build_bundle.sh            # -> dist/spikedesk/spikedesk
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m pip install -q -e . "pyinstaller>=6.6"
python3 -m PyInstaller --noconfirm --clean --distpath dist --workpath build/pyinstaller \
    packaging/spikedesk.spec

check=$(mktemp -d)
trap 'rm -rf "$check"' EXIT
cp -a dist/spikedesk "$check/"
clean_env=(env -i HOME="$check" PATH=/usr/bin:/bin LANG=C.UTF-8)

echo "--- --print-summary from a copy in an empty folder"
"${clean_env[@]}" QT_QPA_PLATFORM=offscreen "$check/spikedesk/spikedesk" --print-summary

if command -v xvfb-run >/dev/null 2>&1; then
    echo "--- a window under Xvfb for 10 s"
    set +e
    "${clean_env[@]}" xvfb-run -a -s "-screen 0 1600x1000x24" \
        timeout 10 "$check/spikedesk/spikedesk"
    status=$?
    set -e
    if [ "$status" -ne 124 ]; then  # 124: still running when timeout stopped it, as it should
        echo "the bundle's window exited with status $status" >&2
        exit 1
    fi
    echo "window stayed open"
fi
echo "bundle: dist/spikedesk ($(du -sh dist/spikedesk | cut -f1))"
