package io.bigbigan.trainer.config;

/**
 * The memory layout a trainer keeps its 4-D weights and images in. Results are the same in both up to floating-point
 * reassociation; checkpoints are written in the standard layout either way.
 */
public enum MemoryFormat {
    /** The standard (NCHW) layout; the inference API computes in it. */
    CONTIGUOUS("contiguous"),
    /** Channels-last (NHWC): the convolution kernels of oneDNN (CPU) and cuDNN (GPU) run faster on it. */
    CHANNELS_LAST("channels-last");

    private final String id;

    MemoryFormat(String id) {
        this.id = id;
    }

    /** {@code contiguous} or {@code channels-last}. */
    public String id() {
        return id;
    }

    /**
     * Parses {@code contiguous} or {@code channels-last}.
     *
     * @throws OptionException naming {@code --memory-format} and the value
     */
    public static MemoryFormat parse(String s) {
        for (MemoryFormat f : values()) if (f.id.equals(s)) return f;
        throw new OptionException("--memory-format: expected contiguous or channels-last, got '" + s + "'");
    }
}
