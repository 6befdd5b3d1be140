package io.bigbigan.model;

import io.bigbigan.bindings.Modules;
import io.bigbigan.bindings.StepScope;
import io.bigbigan.bindings.Tensors;
import io.bigbigan.model.mlp.BiganMlp;
import io.bigbigan.model.BiganMlpConfig;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BiganMlpTest {
    private static final BiganMlp MODEL = new BiganMlp(BiganMlpConfig.paper());

    @Test
    void shapesOfEachNetwork() {
        try (StepScope s = StepScope.open()) {
            Tensor z = torch.rand(8, 50).mul(Tensors.scalar(2)).sub(Tensors.scalar(1));
            Tensor x = MODEL.generator().forward(z);
            assertArrayEquals(new long[]{8, 784}, Tensors.shape(x));
            float[] v = Tensors.toFloats(x);
            for (float f : v) assertTrue(f > 0 && f < 1, "sigmoid output in (0, 1)");
            var e = MODEL.encoder().encode(x);
            assertArrayEquals(new long[]{8, 50}, Tensors.shape(e.z()));
            assertArrayEquals(new long[]{8, 1024}, Tensors.shape(e.hidden()));
            assertArrayEquals(new long[]{8}, Tensors.shape(MODEL.discriminator().forward(x, z)));
        }
    }

    @Test
    void parameterCountsMatchHandDerivedSizes() {
        // G: (50*1024+1024) + 2*1024 + (1024*1024+1024) + 2*1024 + (1024*784+784)
        assertEquals(52_224 + 2_048 + 1_049_600 + 2_048 + 803_600, Modules.parameterCount(MODEL.generator()));
        // E: (784*1024+1024) + (1024*1024+1024) + 2*1024 + (1024*50+50)
        assertEquals(803_840 + 1_049_600 + 2_048 + 51_250, Modules.parameterCount(MODEL.encoder()));
        // D: fx (784*1024+1024) + fz (50*1024+1024) + joint (2048*1024+1024) + out (1024+1)
        assertEquals(803_840 + 52_224 + 2_098_176 + 1_025, Modules.parameterCount(MODEL.discriminator()));
        assertEquals(6_771_523, Modules.parameterCount(MODEL));
    }

    @Test
    void stablePyTorchStyleNames() {
        var names = Modules.state(MODEL).keySet();
        for (String n : new String[]{"G.fc1.weight", "G.bn1.running_mean", "G.fc3.bias", "E.fc1.weight",
                "E.bn2.running_var", "E.bn2.num_batches_tracked", "E.fc3.weight", "D.fx.weight", "D.fz.weight",
                "D.joint.weight", "D.out.bias"})
            assertTrue(names.contains(n), n + " in " + names);
        assertEquals(List.of("G.fc1.weight", "G.fc1.bias"), names.stream().limit(2).toList());
    }
}
