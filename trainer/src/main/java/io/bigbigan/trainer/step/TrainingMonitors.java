package io.bigbigan.trainer.step;

import io.bigbigan.model.layers.SpectralNorm;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Cheap training diagnostics, returned as Java values for {@code metrics.jsonl}: gradient norms (read from the
 * gradients the step already computed), and spectral-norm singular-value estimates (Miyato et al. 2018; BigGAN,
 * Brock et al. 2019, Section 4.1 monitors the top singular values of G and D to detect collapse).
 */
public final class TrainingMonitors {
    private TrainingMonitors() {}

    /**
     * The global L2 norm sqrt(sum_p ||grad p||^2) over the parameters of {@code net} that have a gradient; 0 when
     * none has. One host synchronisation.
     */
    public static double gradientNorm(Module net) {
        Tensor sum = gradientSquaredSum(net);
        return sum == null ? 0.0 : Math.sqrt(sum.item_double());
    }

    /** sum_p ||grad p||^2 over the parameters of {@code net} that have a gradient, on the device; null when none has. */
    public static Tensor gradientSquaredSum(Module net) {
        Tensor norms = OptimiserUpdate.gradientNorms(net);
        return norms == null ? null : norms.square().sum();
    }

    /**
     * Mean and maximum of sigma(W) over the spectrally normalised layers of {@code net}, as
     * {@code sn_sigma_mean_<label>} and {@code sn_sigma_max_<label>}; empty when {@code net} has none. These are the
     * stored power-iteration estimates of each raw weight's largest singular value (what the layer divides by).
     * Meant for logging intervals, not every step (one matrix-vector product and synchronisation per layer).
     */
    public static Map<String, Double> spectralNormStatistics(String label, Module net) {
        Map<String, Double> m = new LinkedHashMap<>();
        var sigmas = SpectralNorm.sigmas(net).values();
        if (sigmas.isEmpty()) return m;
        m.put("sn_sigma_mean_" + label, sigmas.stream().mapToDouble(Double::doubleValue).average().orElseThrow());
        m.put("sn_sigma_max_" + label, sigmas.stream().mapToDouble(Double::doubleValue).max().orElseThrow());
        return m;
    }
}
