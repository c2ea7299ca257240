package dev.nnc.templates;

import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Backend text as data: scalar op expressions ({@code jvm/scalar.properties}), their lane forms
 * ({@code jvm/vector.properties}) and loop skeletons ({@code jvm/*.tmpl}). Variables are written
 * {@code ${name}}; rendering refuses unset variables. In the expression tables an entry
 * {@code op.float} or {@code op.double} replaces {@code op} for kernels of that element type.
 */
public final class Templates {
    private static final Pattern VAR = Pattern.compile("\\$\\{([A-Za-z0-9_]+)}");
    private static final Map<String, String> CACHE = new ConcurrentHashMap<>();
    private static final Map<String, Properties> TABLES = new ConcurrentHashMap<>();

    private final String backend;

    private Templates(String backend) {
        this.backend = backend;
    }

    /** Templates of one backend ("jvm"; "tornadovm" later). */
    public static Templates backend(String name) {
        return new Templates(name);
    }

    /**
     * The scalar expression of an op for kernels of element type {@code type} ("float" or
     * "double"), e.g. {@code relu -> ${a} > 0 ? ${a} : 0}, rendered.
     */
    public String scalar(String op, String type, Map<String, String> vars) {
        String key = typed(scalarTable(), op, type);
        if (key == null) {
            throw new IllegalArgumentException("no scalar template for op '" + op + "' in backend " + backend);
        }
        return render(backend + "/scalar.properties#" + key, scalarTable().getProperty(key), vars);
    }

    /** True when the backend has a scalar expression for the op. */
    public boolean hasScalar(String op) {
        return scalarTable().containsKey(op);
    }

    /**
     * The lane-parallel expression of an op ({@code jvm/vector.properties}) for kernels of element
     * type {@code type}, rendered; only ops that {@link #hasVector} have one.
     */
    public String vector(String op, String type, Map<String, String> vars) {
        String key = hasVector(op, type) ? typed(table("vector.properties"), op, type) : null;
        if (key == null) {
            throw new IllegalArgumentException("no vector template for op '" + op + "' (" + type + ") in backend " + backend);
        }
        return render(backend + "/vector.properties#" + key, table("vector.properties").getProperty(key), vars);
    }

    /**
     * True when the backend has a lane-parallel expression for the op in kernels of element type
     * {@code type} (it gives the scalar one's bits): false when the scalar table has an entry of
     * that type's own ({@code op.float}) and the vector table does not, since the generic lane form
     * was written for the generic scalar one.
     */
    public boolean hasVector(String op, String type) {
        if (load(backend + "/vector.properties", false) == null) return false;
        String key = typed(table("vector.properties"), op, type);
        // a scalar form of the type's own (op.float) pairs only with a lane form of its own
        if (key == null || scalarTable().containsKey(op + "." + type) && !key.equals(op + "." + type)) return false;
        return true;
    }

    /** The table's key for the op and element type: {@code op.type} if present, else {@code op}, else null. */
    private static String typed(Properties table, String op, String type) {
        if (table.containsKey(op + "." + type)) return op + "." + type;
        return table.containsKey(op) ? op : null;
    }

    /** True when the backend has a loop skeleton named {@code name}. */
    public boolean hasSkeleton(String name) {
        return load(backend + "/" + name + ".tmpl", false) != null;
    }

    /** A loop skeleton ({@code jvm/softmax.tmpl}), rendered. */
    public String skeleton(String name, Map<String, String> vars) {
        return file(name + ".tmpl", vars);
    }

    /** Any other template file of the backend, by its full name ({@code adam.steps}), rendered. */
    public String file(String name, Map<String, String> vars) {
        String path = backend + "/" + name;
        return render(path, load(path, true), vars);
    }

    /** The backend's scalar expressions, parsed once. */
    private Properties scalarTable() {
        return table("scalar.properties");
    }

    /** One of the backend's expression tables, parsed once. */
    private Properties table(String name) {
        return TABLES.computeIfAbsent(backend + "/" + name, path -> {
            Properties p = new Properties();
            try {
                p.load(new StringReader(load(path, true)));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            return p;
        });
    }

    private static String load(String path, boolean required) {
        String cached = CACHE.get(path);
        if (cached != null) return cached;
        try (InputStream in = Templates.class.getResourceAsStream("/dev/nnc/templates/" + path)) {
            if (in == null) {
                if (required) throw new IllegalArgumentException("missing template " + path);
                return null;
            }
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            CACHE.put(path, text);
            return text;
        } catch (IOException e) {
            throw new IllegalStateException("cannot read template " + path, e);
        }
    }

    /** Replaces every {@code ${name}}; fails naming the template and the variable when one is unset. */
    public static String render(String where, String text, Map<String, String> vars) {
        Matcher m = VAR.matcher(text);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String v = vars.get(m.group(1));
            if (v == null) {
                throw new IllegalArgumentException("template " + where + ": variable '" + m.group(1) + "' is not set");
            }
            m.appendReplacement(sb, Matcher.quoteReplacement(v));
        }
        m.appendTail(sb);
        return sb.toString();
    }
}
