package io.bigbigan.tools;

import java.util.Locale;

/**
 * Dense (no sparsity) bf16 tensor-core peaks of common data-centre GPUs, from the vendors' data sheets, to express a
 * measured step as a fraction of what the hardware can do. Unknown devices give null; {@code bench --peak-tflops}
 * supplies any other figure.
 */
final class DevicePeaks {
    private DevicePeaks() {}

    /** TFLOP/s for a CUDA device name as the driver reports it, or null when unknown. */
    static Double bf16Tflops(String deviceName) {
        String n = deviceName.toUpperCase(Locale.ROOT);
        if (n.contains("H200")) return 989.4;                        // H200 SXM
        if (n.contains("H100") && n.contains("PCIE")) return 756.0;  // H100 PCIe
        if (n.contains("H100") && n.contains("NVL")) return 835.0;   // H100 NVL
        if (n.contains("H100")) return 989.4;                        // H100 SXM (HBM3)
        if (n.contains("A100")) return 312.0;                        // A100 (SXM and PCIe)
        if (n.contains("L40S")) return 362.1;
        if (n.contains("A10G") || n.equals("NVIDIA A10")) return 125.0;
        return null;
    }
}
