package io.bigbigan.trainer.step;

import io.bigbigan.bindings.Autocast;
import io.bigbigan.bindings.Precision;
import io.bigbigan.trainer.config.RunConfig;
import io.bigbigan.trainer.eval.TrainedModel;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import java.util.LinkedHashMap;
import java.util.function.Supplier;

/**
 * A step trainer's inference side ({@link StepTrainer#inference}): G and E, or their EMA copies where the trainer keeps
 * them and {@code weights} is {@link Weights#EMA}, run in evaluation mode without gradients, under bf16 autocast when
 * {@code precision} is bf16, and the training mode is restored afterwards; results leave in fp32. A view: it reads the
 * trainer's current weights. Images, latents and features come from the configuration's
 * {@link io.bigbigan.model.ModelKind}, as in the inference API.
 */
final class Inference implements TrainedModel {
    private final StepTrainer.AdversarialTrainer<?> trainer;
    private final Precision precision;
    private final Weights weights;

    Inference(StepTrainer.AdversarialTrainer<?> trainer, Precision precision, Weights weights) {
        this.trainer = trainer;
        this.precision = precision;
        this.weights = weights;
    }

    @Override
    public RunConfig config() {
        return trainer.config;
    }

    @Override
    public Precision precision() {
        return precision;
    }

    @Override
    public Tensor prepare(Tensor images) {
        return trainer.prepare(images);
    }

    @Override
    public Tensor toImages(Tensor inputs) {
        return trainer.kind.toImages(inputs);                                   // [B, C, R, R] in [0, 1]
    }

    /** Drawn on the generator's device, then moved to the trainer's (a caller's CPU generator gives the same z). */
    @Override
    public Tensor sampleLatent(long n, Generator generator) {
        return trainer.latents(n, generator, 0);
    }

    @Override
    public Tensor sampleLatent(long n, Generator generator, double truncation) {
        return trainer.latents(n, generator, truncation);
    }

    @Override
    public Tensor generate(Tensor z) {
        Tensor latents = trainer.inModelType(z);                               // an fp64 model takes float64 latents
        return inEvalMode(() -> toImages(fp32(trainer.kind.generate(generator(), latents))));
    }

    @Override
    public Tensor encode(Tensor inputs) {
        return inEvalMode(() -> fp32(trainer.kind.encode(encoder(), inputs, null).latent()));
    }

    /** E(x) and the penultimate features (MLP), or the posterior mean and the pooled features (BigBiGAN). */
    @Override
    public LinkedHashMap<String, Tensor> features(Tensor inputs) {
        return inEvalMode(() -> {
            var out = trainer.kind.encode(encoder(), inputs, null);
            String[] names = trainer.kind.featureNames();
            LinkedHashMap<String, Tensor> m = new LinkedHashMap<>();
            m.put(names[0], fp32(out.latent()));
            m.put(names[1], fp32(out.pooled()));
            return m;
        });
    }

    private Module generator() {
        return weights == Weights.LIVE ? trainer.model.generator() : trainer.samplingGenerator();
    }

    private Module encoder() {
        return weights == Weights.LIVE ? trainer.model.encoder() : trainer.evaluationEncoder();
    }

    /** {@code body} with the trainer's model in evaluation mode, without gradients, under this view's precision. */
    private <T> T inEvalMode(Supplier<T> body) {
        var model = trainer.model;
        boolean wasTraining = model.is_training();
        model.eval();
        try (NoGradGuard g = new NoGradGuard(); Autocast a = Autocast.forward(precision, trainer.device)) {
            return body.get();
        } finally {
            model.train(wasTraining);
        }
    }

    /** {@code t} in float32 (a no-op when it already is): results leave inference in fp32 whatever ran inside. */
    private static Tensor fp32(Tensor t) {
        return t.scalar_type() == torch.ScalarType.Float ? t : t.to(torch.ScalarType.Float);
    }
}
