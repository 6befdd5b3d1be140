package io.bigbigan.nativelib;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * What the host CPU offers for reduced-precision arithmetic, from the kernel's CPU flags ({@code /proc/cpuinfo} on
 * Linux) and the instruction set LibTorch dispatches its kernels for ({@code at::get_cpu_capability}).
 *
 * <p>"Native bf16" means the CPU multiplies bfloat16 in hardware: {@code avx512_bf16} (AVX512 dot products of bf16
 * pairs, Cooper Lake and later) or {@code amx_bf16} (AMX tile matrix multiplies, Sapphire Rapids and later). oneDNN,
 * which runs LibTorch's bf16 convolutions and matrix products on the CPU, uses them when present; without them bf16
 * is emulated through fp32 and runs slower than fp32 itself.
 *
 * @param flags      the CPU flags relevant here that the host reports ({@code avx2}, {@code avx512f},
 *                   {@code avx512_bf16}, {@code amx_tile}, {@code amx_bf16}, {@code avx512_fp16}); empty when unknown
 * @param capability the instruction set LibTorch's CPU kernels were dispatched for ({@code AVX512}, {@code AVX2},
 *                   {@code DEFAULT}), or {@code unknown}
 */
public record CpuFeatures(Set<String> flags, String capability) {
    private static final Set<String> RELEVANT = Set.of("avx2", "avx512f", "avx512_bf16", "amx_tile", "amx_bf16",
            "avx512_fp16");
    private static volatile CpuFeatures host;

    public CpuFeatures {
        flags = Set.copyOf(new TreeSet<>(flags));
    }

    /** The host's features (read once per process). */
    public static CpuFeatures host() {
        CpuFeatures h = host;
        if (h == null) {
            Torch.load();
            String cap;
            try {
                cap = org.bytedeco.pytorch.global.torch.get_cpu_capability().getString();
            } catch (RuntimeException | UnsatisfiedLinkError e) {
                cap = "unknown";
            }
            host = h = new CpuFeatures(readFlags(Path.of("/proc/cpuinfo")), cap);
        }
        return h;
    }

    /** The relevant flags of the first processor's {@code flags} line in a cpuinfo file; empty when unreadable. */
    static Set<String> readFlags(Path cpuinfo) {
        try {
            for (String line : Files.readAllLines(cpuinfo)) {
                String l = line.toLowerCase(Locale.ROOT);
                if (!l.startsWith("flags")) continue;
                int colon = l.indexOf(':');
                Set<String> out = new TreeSet<>();
                for (String f : l.substring(colon + 1).trim().split("\\s+")) if (RELEVANT.contains(f)) out.add(f);
                return out;
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or no permission: unknown
        }
        return Set.of();
    }

    /** Whether the CPU multiplies bfloat16 in hardware (AVX512-BF16 or AMX-BF16). */
    public boolean nativeBf16() {
        return flags.contains("avx512_bf16") || flags.contains("amx_bf16");
    }

    /** Whether the CPU has AMX tiles for bfloat16 (much faster bf16 matrix products than AVX512-BF16). */
    public boolean amxBf16() {
        return flags.contains("amx_bf16") && flags.contains("amx_tile");
    }

    /** One line for {@code info}: the flags, the kernels' instruction set and what bf16 runs on. */
    public String describe() {
        String bf16 = amxBf16() ? "native (AMX tiles)" : nativeBf16() ? "native (AVX512-BF16)"
                : "emulated (slower than fp32)";
        return "flags " + (flags.isEmpty() ? "unknown" : String.join(" ", flags)) + "; kernels " + capability
                + "; bf16 " + bf16;
    }
}
