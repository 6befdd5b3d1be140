package io.bigbigan.tools;

import io.bigbigan.nativelib.Torch;
import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

@Command(name = "info", mixinStandardHelpOptions = true, description = "Print library versions, devices and thread settings.",
        footer = {"", "Example:", "  bigbigan info"})
final class InfoCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        System.out.println(Torch.info().describe());
        return 0;
    }
}
