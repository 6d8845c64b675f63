#!/usr/bin/env bash
# Regenerates Sources/StrataStoreAPI/Generated from Protos/*.proto with protoc (Debian's
# protobuf-compiler) and the Swift plugins built from the package's own dependencies.
# The output is committed; the build never runs protoc. Deterministic: rerunning changes nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v protoc >/dev/null || { echo "protoc missing: apt-get install -y protobuf-compiler" >&2; exit 1; }
# PLUGIN_BIN: a directory already holding both plugins (skips their ~10 minute release build).
if [ -n "${PLUGIN_BIN:-}" ]; then
  BIN=$PLUGIN_BIN
else
  swift build -c release --product protoc-gen-swift
  swift build -c release --product protoc-gen-grpc-swift-2
  BIN=$(swift build -c release --show-bin-path)
fi
OUT=Sources/StrataStoreAPI/Generated
rm -rf "$OUT" && mkdir -p "$OUT"
# One protoc run per file: Thanos's protos share the `thanos` package, and enum values are
# package-scoped (StoreType, TargetHealth and AlertState each define UNKNOWN), so one
# descriptor pool cannot hold them all. Each file's output depends on that file alone.
for proto in Protos/*.proto; do
  protoc --plugin=protoc-gen-swift="$BIN/protoc-gen-swift" \
         --plugin=protoc-gen-grpc-swift-2="$BIN/protoc-gen-grpc-swift-2" \
         -I Protos -I /usr/include \
         --swift_out="$OUT" --swift_opt=Visibility=Public --swift_opt=FileNaming=DropPath \
         --grpc-swift-2_out="$OUT" --grpc-swift-2_opt=Visibility=Public \
         --grpc-swift-2_opt=FileNaming=DropPath --grpc-swift-2_opt=Client=true --grpc-swift-2_opt=Server=true \
         "$proto"
done
ls "$OUT"
