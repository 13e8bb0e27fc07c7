# Regenerates the .npy fixtures used by NpyFileTests (run once with NumPy; the files are committed so the
# tests need no Python). numpy 1.24.2 (Debian 12) produced the committed files.
import numpy as np
from numpy.lib import format as npformat

def save(name, array, version=None):
    with open(name, 'wb') as f:
        npformat.write_array(f, array, version=version, allow_pickle=False)

save('f4_2x3.npy', (np.arange(6, dtype='<f4').reshape(2, 3) * 0.5 - 1))
save('f8_scalar.npy', np.array(3.25, dtype='<f8'))
save('f2_4.npy', np.array([0.5, -2, 65504, 1e-4], dtype='<f2'))
save('i1_5.npy', np.array([-128, -1, 0, 1, 127], dtype='i1'))
save('u1_3.npy', np.array([0, 128, 255], dtype='u1'))
save('i2_2x2.npy', np.array([[-32768, 1], [2, 32767]], dtype='<i2'))
save('i4_3.npy', np.array([-2147483648, 7, 2147483647], dtype='<i4'))
save('i8_2.npy', np.array([-2**63, 2**63 - 1], dtype='<i8'))
save('b1_4.npy', np.array([True, False, False, True]))
save('f4_0x3.npy', np.zeros((0, 3), dtype='<f4'))
save('f4_v2.npy', np.array([1.5, 2.5], dtype='<f4'), version=(2, 0))
save('f4_v3.npy', np.array([1.5, 2.5], dtype='<f4'), version=(3, 0))
save('fortran_2x3.npy', np.asfortranarray(np.arange(6, dtype='<f4').reshape(2, 3)))
save('bigendian_f4.npy', np.array([1, 2], dtype='>f4'))
save('complex_c8.npy', np.array([1 + 2j], dtype='<c8'))
