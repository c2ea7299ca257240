#!/bin/sh
# Rebuilds the Fashion-MNIST subset embedded in nnc-runtime: the first 6000 training and the first
# 1000 test examples, as gzip IDX files (the same format as the originals, with the count in the
# header changed). Output is byte-for-byte reproducible (gzip -n: no name, no timestamp).
#
#   runtime/scripts/make-embedded-subset.sh [SOURCE_DIR] [TRAIN_COUNT] [TEST_COUNT]
#
# SOURCE_DIR defaults to /usr/share/datasets/fashion-mnist (Debian package dataset-fashion-mnist)
# and must hold the four original files, gzip-compressed or raw.
set -eu

src=${1:-/usr/share/datasets/fashion-mnist}
train=${2:-6000}
test=${3:-1000}
out=$(cd "$(dirname "$0")/.." && pwd)/src/main/resources/dev/nnc/runtime/data/fashion-mnist-subset

# cat_idx NAME: the decompressed content of SOURCE_DIR/NAME(.gz)
cat_idx() {
    if [ -f "$src/$1.gz" ]; then gzip -dc "$src/$1.gz"; else cat "$src/$1"; fi
}

# be32 N: N as 4 big-endian bytes
be32() {
    printf "$(printf '\\%03o\\%03o\\%03o\\%03o' $(($1 >> 24 & 255)) $(($1 >> 16 & 255)) $(($1 >> 8 & 255)) $(($1 & 255)))"
}

# subset NAME MAGIC COUNT BYTES_PER_ITEM HEADER_REST: magic, new count, the rest of the header
# (rows and columns for images), then the first COUNT items
subset() {
    name=$1 magic=$2 count=$3 item=$4 rest=$5
    {
        be32 "$magic"
        be32 "$count"
        cat_idx "$name" | tail -c +9 | head -c $((rest + count * item))
    } | gzip -9n > "$out/$name.gz"
    echo "$out/$name.gz: $count items, $(wc -c < "$out/$name.gz") bytes"
}

for name in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
    if [ ! -f "$src/$name.gz" ] && [ ! -f "$src/$name" ]; then
        echo "make-embedded-subset: no $name.gz (nor $name) in $src" >&2
        exit 1
    fi
done
mkdir -p "$out"
subset train-images-idx3-ubyte 2051 "$train" 784 8
subset train-labels-idx1-ubyte 2049 "$train" 1 0
subset t10k-images-idx3-ubyte 2051 "$test" 784 8
subset t10k-labels-idx1-ubyte 2049 "$test" 1 0
