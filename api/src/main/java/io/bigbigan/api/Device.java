package io.bigbigan.api;

import java.util.Locale;

/**
 * Where a model computes: the CPU or one CUDA device.
 *
 * @param type  {@code cpu} or {@code cuda}
 * @param index the CUDA device's index (0 for the CPU)
 */
public record Device(String type, int index) {
    /** The CPU. */
    public static final Device CPU = new Device("cpu", 0);

    /**
     * Checks the fields.
     *
     * @throws IllegalArgumentException for another type or a negative index
     */
    public Device {
        if (!"cpu".equals(type) && !"cuda".equals(type))
            throw new IllegalArgumentException("device type must be cpu or cuda, got '" + type + "'");
        if (index < 0 || (type.equals("cpu") && index != 0))
            throw new IllegalArgumentException("device index must be 0 for the CPU and >= 0 for CUDA, got " + index);
    }

    /** The first CUDA device. */
    public static Device cuda() { return new Device("cuda", 0); }

    /** CUDA device {@code index}. */
    public static Device cuda(int index) { return new Device("cuda", index); }

    /**
     * Parses {@code cpu}, {@code cuda} or {@code cuda:N} (as PyTorch names devices).
     *
     * @throws IllegalArgumentException naming the value when it is none of these
     */
    public static Device parse(String s) {
        String v = s == null ? "" : s.trim().toLowerCase(Locale.ROOT);
        if (v.equals("cpu")) return CPU;
        if (v.equals("cuda")) return cuda();
        if (v.startsWith("cuda:")) {
            try {
                return cuda(Integer.parseInt(v.substring(5)));
            } catch (IllegalArgumentException e) {          // NumberFormatException, or a negative index
                // falls through to the message below
            }
        }
        throw new IllegalArgumentException("device '" + s + "': expected cpu, cuda or cuda:N");
    }

    /** Whether this is a CUDA device. */
    public boolean isCuda() { return type.equals("cuda"); }

    /** The PyTorch name: {@code cpu} or {@code cuda:N}. */
    @Override
    public String toString() { return isCuda() ? "cuda:" + index : "cpu"; }
}
