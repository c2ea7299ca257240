package dev.nnc.cli;

import dev.nnc.compiler.api.Nnc;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code nnc} command. Exit codes: 0 ok, 1 user error (bad program, data or file),
 * 2 usage, 3 internal error. The subcommands extend {@link NncCommand}, which maps their failures
 * to these codes, so {@code new CommandLine(new Main()).execute(args)} behaves like {@link #main}.
 */
@Command(name = "nnc", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Compiles .nn neural-network programs into Java, inspects them, trains them.",
        subcommands = {CompileCommand.class, CheckCommand.class, InspectCommand.class, TrainCommand.class,
            CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    static final int OK = 0;
    static final int USER_ERROR = 1;
    static final int USAGE = 2;
    static final int INTERNAL = 3;

    boolean debug;

    /** {@code --debug}: also makes the compiler print the stack trace of an internal error it reports. */
    @Option(names = "--debug", description = "print stack traces of internal errors", scope = CommandLine.ScopeType.INHERIT)
    void debug(boolean on) {
        debug = on;
        if (on) System.setProperty(dev.nnc.compiler.api.Nnc.DEBUG_PROPERTY, "true");
    }

    @picocli.CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command: compile, check, inspect or train");
    }

    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the command line with the given streams; returns the exit code. */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        Main main = new Main();
        CommandLine cl = new CommandLine(main);
        cl.setOut(out);
        cl.setErr(err);
        // the subcommands report their own failures (NncCommand); this catches the rest (picocli's own)
        cl.setExecutionExceptionHandler((e, commandLine, parsed) -> internalError(e, main.debug, err));
        int code = cl.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    /** An nnc bug: one line, the stack trace only with {@code --debug}; exit 3. */
    static int internalError(Throwable e, boolean debug, PrintWriter err) {
        err.println("nnc: internal error: " + e);
        if (debug) e.printStackTrace(err);
        else err.println("nnc: run again with --debug for the stack trace, and please report it");
        err.flush();
        return INTERNAL;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"nnc " + Nnc.version() + " (Java " + Runtime.version() + ")"};
        }
    }
}
