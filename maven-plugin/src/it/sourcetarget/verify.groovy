// Without --release 25 or --add-modules, javac cannot see the Simd loops' module: the plugin warns
// first, naming every way out, then javac fails on the generated class.
def log = new File(basedir, 'build.log').text
assert log.contains('[WARNING] nnc: the generated classes keep their elementwise loops on the JDK Vector API')
assert log.contains('<maven.compiler.release>25</maven.compiler.release>')
assert log.contains('<vectorLoops>false</vectorLoops>')
assert log.contains('package jdk.incubator.vector is not visible')
assert log.indexOf('[WARNING] nnc: the generated classes') < log.indexOf('package jdk.incubator.vector is not visible')
return true
