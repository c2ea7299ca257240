// vectorLoops=false: no Simd class, no Vector API import, no warning; the class compiles with -source/-target.
def generated = new File(basedir, 'target/generated-sources/nnc/Tiny.java')
assert generated.isFile() : "missing ${generated}"
assert !generated.text.contains('jdk.incubator.vector')
assert !generated.text.contains('class Simd')
def log = new File(basedir, 'build.log').text
assert !log.contains('nnc: the generated classes keep their elementwise loops')
assert new File(basedir, 'target/classes/Tiny.class').isFile()
return true
