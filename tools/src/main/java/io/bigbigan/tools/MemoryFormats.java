package io.bigbigan.tools;

/** Parses {@code --memory-format}. */
final class MemoryFormats {
    private MemoryFormats() {}

    /** True for {@code channels-last}, false for {@code contiguous}; anything else is an error naming the flag. */
    static boolean channelsLast(String value) {
        return switch (value == null ? "contiguous" : value) {
            case "contiguous" -> false;
            case "channels-last" -> true;
            default -> throw new IllegalArgumentException("--memory-format: expected contiguous or channels-last, got '"
                    + value + "'");
        };
    }
}
