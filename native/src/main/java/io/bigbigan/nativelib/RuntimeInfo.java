package io.bigbigan.nativelib;

import java.util.List;

/**
 * A description of the native runtime, as printed by {@code bigbigan info}.
 *
 * @param pytorchVersion     version of the org.bytedeco:pytorch jar (LibTorch version - preset version)
 * @param javacppVersion     JavaCPP version
 * @param openblasVersion    OpenBLAS preset version
 * @param javaVersion        the running JVM's version
 * @param platform           JavaCPP platform (e.g. linux-x86_64)
 * @param cudaDevices        number of CUDA devices LibTorch sees (0 on the CPU build)
 * @param cudaDescriptions   one line per CUDA device (name and memory when the CUDA preset is present)
 * @param threads            LibTorch intra-op threads
 * @param interopThreads     LibTorch inter-op threads
 * @param openblasThreadsEnv the OPENBLAS_NUM_THREADS environment variable (null when unset)
 * @param cores              available processors
 * @param onednnVersion      oneDNN (MKL-DNN) version string
 * @param cpu                what the CPU offers for reduced precision (flags, LibTorch's kernel instruction set)
 */
public record RuntimeInfo(String pytorchVersion, String javacppVersion, String openblasVersion, String javaVersion,
                          String platform, int cudaDevices, List<String> cudaDescriptions, int threads,
                          int interopThreads, String openblasThreadsEnv, int cores, String onednnVersion,
                          CpuFeatures cpu) {

    /** Human-readable multi-line description. */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        sb.append("pytorch   ").append(pytorchVersion).append(" (javacpp ").append(javacppVersion)
                .append(", openblas ").append(openblasVersion).append(", onednn ").append(onednnVersion).append(")\n");
        sb.append("java      ").append(javaVersion).append(" on ").append(platform).append('\n');
        sb.append("device    cpu (").append(cores).append(" cores)");
        for (int i = 0; i < cudaDevices; i++) sb.append(", cuda:").append(i).append(' ').append(cudaDescriptions.get(i));
        sb.append('\n');
        sb.append("cpu       ").append(cpu.describe()).append("; --precision auto: ")
                .append(cudaDevices > 0 ? "bf16 on cuda, " : "").append(cpu.nativeBf16() ? "bf16" : "fp32").append(" on cpu\n");
        sb.append("threads   torch ").append(threads).append(", interop ").append(interopThreads).append(", ")
                .append(threadEnvironment());
        String omp = System.getenv("OMP_WAIT_POLICY");
        boolean passive = omp != null && omp.equalsIgnoreCase("passive");
        if (openblasThreadsEnv == null || (!"1".equals(openblasThreadsEnv) && !passive))
            sb.append("\n          warning: OpenBLAS and OpenMP thread pools may spin against each other (steps up to ~15x"
                    + " slower): set OPENBLAS_NUM_THREADS=1, or OMP_WAIT_POLICY=passive (the launcher does)");
        String malloc = System.getenv("GLIBC_TUNABLES");
        sb.append("\nmalloc    GLIBC_TUNABLES=").append(malloc == null ? "unset" : malloc);
        return sb.toString();
    }

    /** The environment variables that set the thread pools' behaviour, as {@code NAME=value, ...} ("unset" when absent). */
    public static String threadEnvironment() {
        StringBuilder sb = new StringBuilder();
        for (String k : new String[]{"OPENBLAS_NUM_THREADS", "OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "OPENBLAS_THREAD_TIMEOUT"}) {
            String v = System.getenv(k);
            sb.append(sb.isEmpty() ? "" : ", ").append(k).append('=').append(v == null ? "unset" : v);
        }
        return sb.toString();
    }
}
