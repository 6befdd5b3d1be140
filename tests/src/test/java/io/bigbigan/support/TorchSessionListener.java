package io.bigbigan.support;

import io.bigbigan.nativelib.Torch;
import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/** Loads LibTorch once per test JVM, before any test touches a preset class (an empty native cache crashes otherwise). */
public final class TorchSessionListener implements LauncherSessionListener {
    @Override
    public void launcherSessionOpened(LauncherSession session) {
        Torch.load();
        Torch.setThreads(0);
    }
}
