#!/bin/sh
# Starts the code interpreter's server beside whatever the container runs (Berth's idle command).
python3 /opt/berth/code-interpreter/server.py >/tmp/code-interpreter.log 2>&1 &
exec "$@"
