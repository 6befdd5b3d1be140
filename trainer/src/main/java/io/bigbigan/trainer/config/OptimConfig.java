package io.bigbigan.trainer.config;

/**
 * Adam hyper-parameters, with a learning rate per network.
 *
 * @param lrD   discriminator learning rate
 * @param lrG   generator learning rate
 * @param lrE   encoder learning rate
 * @param beta1 Adam beta1
 * @param beta2 Adam beta2
 * @param eps   Adam epsilon
 */
public record OptimConfig(double lrD, double lrG, double lrE, double beta1, double beta2, double eps) {
    public OptimConfig {
        if (lrD <= 0 || lrG <= 0 || lrE <= 0) throw new IllegalArgumentException("learning rates must be positive");
        if (beta1 < 0 || beta1 >= 1 || beta2 < 0 || beta2 >= 1)
            throw new IllegalArgumentException("Adam betas must be in [0, 1)");
        if (eps <= 0) throw new IllegalArgumentException("Adam eps must be positive");
    }
}
