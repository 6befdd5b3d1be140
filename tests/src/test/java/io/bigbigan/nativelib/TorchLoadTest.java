package io.bigbigan.nativelib;

import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;

class TorchLoadTest {
    /**
     * Loading LibTorch turns NNPACK off: where it cannot initialise, every fp32 evaluation pass printed 24 lines of
     * "Could not initialize NNPACK! Reason: Unsupported hardware" (840 in a 16,000-step training log).
     */
    @Test
    void nnpackIsOffOnceLoaded() {
        Torch.load();
        assertFalse(torch.globalContext().userEnabledNNPACK());
    }
}
