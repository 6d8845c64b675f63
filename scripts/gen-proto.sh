#!/usr/bin/env bash
# Regenerates Sources/StrataStoreAPI/Generated from Protos/*.proto with protoc (Debian's
# protobuf-compiler) and the Swift plugins built from the package's own dependencies.
# The output is committed; the build never runs protoc. Deterministic: rerunning changes nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v protoc >/dev/null || { echo "protoc missing: apt-get install -y protobuf-compiler" >&2; exit 1; }
swift build -c release --product protoc-gen-swift
swift build -c release --product protoc-gen-grpc-swift-2
BIN=$(swift build -c release --show-bin-path)
OUT=Sources/StrataStoreAPI/Generated
rm -rf "$OUT" && mkdir -p "$OUT"
protoc --plugin=protoc-gen-swift="$BIN/protoc-gen-swift" \
       --plugin=protoc-gen-grpc-swift-2="$BIN/protoc-gen-grpc-swift-2" \
       -I Protos -I /usr/include \
       --swift_out="$OUT" --swift_opt=Visibility=Public --swift_opt=FileNaming=DropPath \
       --grpc-swift-2_out="$OUT" --grpc-swift-2_opt=Visibility=Public \
       --grpc-swift-2_opt=FileNaming=DropPath --grpc-swift-2_opt=Client=true --grpc-swift-2_opt=Server=true \
       Protos/*.proto
ls "$OUT"
