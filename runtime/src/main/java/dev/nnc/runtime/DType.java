package dev.nnc.runtime;

/** Element types a compiled model exchanges with the outside world. */
public enum DType {
    F32("F32", 4),
    F64("F64", 8),
    I32("I32", 4);

    private final String safetensorsName;
    private final int bytes;

    DType(String safetensorsName, int bytes) {
        this.safetensorsName = safetensorsName;
        this.bytes = bytes;
    }

    /** The dtype string used in safetensors headers ("F32", "F64", "I32"). */
    public String safetensorsName() {
        return safetensorsName;
    }

    public int bytes() {
        return bytes;
    }
}
