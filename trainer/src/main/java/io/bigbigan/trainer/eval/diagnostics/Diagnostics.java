package io.bigbigan.trainer.eval.diagnostics;

import io.bigbigan.bindings.StepScope;
import io.bigbigan.trainer.data.ImageDataset;
import io.bigbigan.trainer.report.ImageGrid;
import io.bigbigan.trainer.eval.TrainedModel;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Diagnostic image sheets of a trained model, written as PNG grids (Donahue &amp; Simonyan 2019, Appendix:
 * iterated reconstructions, interpolations; Brock et al. 2019, Section 3.1: truncation):
 * <ul>
 *   <li>{@link #iteratedReconstructions}: R_0 = x, R_{i+1} = G(E(R_i)), one image per row, one iteration per column,
 *       with the mean ||R_i - x|| per iteration;</li>
 *   <li>{@link #interpolation}: rows of G(z) for z linear between two endpoints (encoded images or prior samples);</li>
 *   <li>{@link #truncation}: one row per truncation value, the same base noise stream in every row;</li>
 *   <li>{@link #nearestNeighbours}: each query image followed by its k nearest training images in E's space;</li>
 *   <li>{@link #firstLayerFilters}: E's first-layer filters (conv kernels, or the first Linear layer's rows reshaped
 *       to images), each scaled to [0, 1].</li>
 * </ul>
 * All images are [N, C, R, R] in [0, 1]; every batch runs in its own {@link StepScope}.
 */
public final class Diagnostics {
    private Diagnostics() {}

    /**
     * Writes the iterated reconstructions of {@code images} [N, C, H, W] (dataset images) for {@code iterations}
     * steps and returns the mean L2 distance ||R_i - R_0|| per iteration i = 0..iterations (index 0 is 0).
     */
    public static double[] iteratedReconstructions(TrainedModel model, Tensor images, int iterations, Path png)
            throws IOException {
        if (iterations < 1) throw new IllegalArgumentException("iterations must be at least 1, got " + iterations);
        double[] err = new double[iterations + 1];
        try (StepScope s = StepScope.open(); NoGradGuard g = new NoGradGuard()) {
            Tensor in = model.prepare(images);
            Tensor x = model.toImages(in);                                                    // [N, C, R, R]
            List<Tensor> cols = new ArrayList<>(List.of(x));
            Tensor r = x;
            for (int i = 1; i <= iterations; i++) {
                r = model.generate(model.encode(model.prepare(r)));                              // [N, C, R, R]
                cols.add(r);
                err[i] = r.sub(x).flatten(1, -1).pow(new Scalar(2)).sum(new long[]{1}).sqrt().mean().item_double();
            }
            Tensor sheet = torch.stack(new TensorVector(cols.toArray(new Tensor[0])), 1)      // [N, T+1, C, R, R]
                    .flatten(0, 1);                                                           // [N (T+1), C, R, R]
            ImageGrid.write(png, sheet, iterations + 1, ImageGrid.DEFAULT_PADDING, 2);
        }
        return err;
    }

    /**
     * Writes rows of G(z) for z = (1 - t) zA + t zB, t = 0, 1/(steps-1), ..., 1; {@code zA}, {@code zB} [N, zDim]
     * (one row each); G runs over {@code batch} latents at a time.
     */
    public static void interpolation(TrainedModel model, Tensor zA, Tensor zB, int steps, Path png, int batch)
            throws IOException {
        if (steps < 2) throw new IllegalArgumentException("steps must be at least 2, got " + steps);
        try (StepScope s = StepScope.open(); NoGradGuard g = new NoGradGuard()) {
            List<Tensor> cols = new ArrayList<>();
            for (int i = 0; i < steps; i++)
                cols.add(torch.lerp(zA, zB, new Scalar(i / (double) (steps - 1))));            // [N, zDim]
            Tensor z = torch.stack(new TensorVector(cols.toArray(new Tensor[0])), 1).flatten(0, 1); // [N steps, zDim]
            ImageGrid.write(png, model.generate(z, batch), steps, ImageGrid.DEFAULT_PADDING, 2);
        }
    }

    /** The deterministic codes E(x) of dataset images [N, C, H, W]: [N, zDim]. */
    public static Tensor encode(TrainedModel model, Tensor images) {
        return model.encode(model.prepare(images));
    }

    /**
     * Writes one row of {@code perRow} samples per truncation value (0 = none); every row draws from a generator with
     * the same seed, so rows differ only by the truncation.
     */
    public static void truncation(TrainedModel model, List<Double> truncations, int perRow, long seed, Path png)
            throws IOException {
        try (StepScope s = StepScope.open(); NoGradGuard g = new NoGradGuard()) {
            List<Tensor> rows = new ArrayList<>();
            for (double t : truncations) {
                Generator gen = torch.createCPUGenerator(seed);
                rows.add(model.generate(model.sampleLatent(perRow, gen, t)));                     // [perRow, C, R, R]
            }
            ImageGrid.write(png, torch.cat(new TensorVector(rows.toArray(new Tensor[0])), 0), perRow,
                    ImageGrid.DEFAULT_PADDING, 2);
        }
    }

    /**
     * Writes each query (dataset images [Q, C, H, W]) followed by its {@code k} nearest training images under L2 in
     * the encoder's code space E(x), and returns the neighbours' training indices [Q][k]. The training split is
     * encoded {@code batch} images at a time.
     */
    public static long[][] nearestNeighbours(TrainedModel model, Tensor queries, ImageDataset train, int k, Path png,
                                             int batch) throws IOException {
        if (batch < 1) throw new IllegalArgumentException("--eval-batch must be at least 1, got " + batch);
        long q = queries.size(0);
        long[][] out = new long[(int) q][k];
        try (StepScope s = StepScope.open(); NoGradGuard g = new NoGradGuard()) {
            Tensor qc = encode(model, queries);                                               // [Q, zDim]
            Tensor codes = torch.zeros(train.size(), qc.size(1));                          // [N, zDim]
            for (long off = 0; off < train.size(); off += batch) {
                try (StepScope b = StepScope.open()) {
                    long n = Math.min(batch, train.size() - off);
                    codes.narrow(0, off, n).copy_(encode(model,
                            train.batch(off, off + n)));
                }
            }
            Tensor bestI = torch.cdist(qc, codes).topk(k, 1, false, true).get1();             // [Q, k]
            long[] flat = io.bigbigan.bindings.Tensors.toLongs(bestI.contiguous());
            for (int i = 0; i < q; i++) System.arraycopy(flat, i * k, out[i], 0, k);
            Tensor neighbours = model.toImages(model.prepare(train.batch(bestI.reshape(-1))))      // [Q k, C, R, R]
                    .view(q, k, -1);
            Tensor qi = model.toImages(model.prepare(queries));                              // [Q, C, R, R]
            long[] shape = io.bigbigan.bindings.Tensors.shape(qi);
            Tensor sheet = torch.cat(new TensorVector(qi.view(q, 1, -1), neighbours), 1)      // [Q, k+1, CRR]
                    .view(q * (k + 1), shape[1], shape[2], shape[3]);
            ImageGrid.write(png, sheet, k + 1, ImageGrid.DEFAULT_PADDING, 2);
        }
        return out;
    }

    /**
     * Writes E's first-layer filters, read from a checkpoint's {@code state} (its tensors by name; the EMA copy
     * {@code E_ema.*} when there is one): the first 4-D weight under E (conv kernels [O, I, k, k]; RGB when I = 3,
     * else averaged over input channels), or for an MLP encoder the first Linear weight's rows reshaped to
     * [C, H, W] of the training images. Each filter is min-max scaled to [0, 1]; at most {@code max} are shown.
     *
     * @return the parameter name the filters came from
     */
    public static String firstLayerFilters(Map<String, Tensor> state, int channels, int height, int width, int max,
                                           Path png) throws IOException {
        String name = null;
        for (String prefix : List.of("E_ema.", "E.")) {
            for (var e : state.entrySet())
                if (e.getKey().startsWith(prefix) && e.getKey().endsWith("weight")
                        && (e.getValue().dim() == 4 || e.getValue().dim() == 2)) {
                    name = e.getKey();
                    break;
                }
            if (name != null) break;
        }
        if (name == null) throw new IllegalArgumentException("the encoder has no 2-D or 4-D weight to show");
        try (StepScope s = StepScope.open(); NoGradGuard g = new NoGradGuard()) {
            Tensor w = state.get(name).detach().cpu();
            Tensor f;
            if (w.dim() == 4) {
                f = w.size(1) == 3 ? w : w.mean(new long[]{1}, true, new org.bytedeco.pytorch.ScalarTypeOptional()); // [O, 1|3, k, k]
            } else {
                if (w.size(1) != (long) channels * height * width)
                    throw new IllegalArgumentException(name + " has " + w.size(1) + " inputs, not " + channels + "x"
                            + height + "x" + width);
                f = w.view(w.size(0), channels, height, width);                                  // [O, C, H, W]
            }
            f = f.narrow(0, 0, Math.min(max, f.size(0)));
            Tensor flat = f.flatten(1, -1);                                                    // [O, D]
            Tensor lo = flat.amin(new long[]{1}, true), hi = flat.amax(new long[]{1}, true);
            Tensor scaled = flat.sub(lo).div(hi.sub(lo).clamp_min(new Scalar(1e-12))).view_as(f);
            int scale = f.size(2) < 8 ? 6 : 2;
            ImageGrid.write(png, scaled, (int) Math.ceil(Math.sqrt(f.size(0))), 1, scale);
        }
        return name;
    }
}
