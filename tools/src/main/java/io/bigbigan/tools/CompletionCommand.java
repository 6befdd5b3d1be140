package io.bigbigan.tools;

import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

@Command(name = "completion", mixinStandardHelpOptions = true, description = {"Print a bash/zsh completion script for bigbigan (picocli AutoComplete).",
        "Load it in the current shell, or save it as a file your shell sources at start-up."},
        footer = {"", "Examples:", "  source <(./bigbigan completion)",
                "  ./bigbigan completion > ~/.local/share/bash-completion/completions/bigbigan"})
final class CompletionCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        CommandLine root = spec.commandLine().getParent();
        System.out.print(AutoComplete.bash("bigbigan", root));
        return 0;
    }
}
