using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Elide.Kernels;

/// <summary>
/// Work fused into the store of a GEMM result: C[i, j] = act(C[i, j] + RowBias[i] + Residual[i, j]).
/// </summary>
/// <remarks>
/// Fusing these while the tile is still in L1 saves a full read and write of C per fused op (Conv + bias + Add +
/// ReLU in a ResNet block becomes one pass). <c>default</c> / <see cref="None"/> does nothing.
/// </remarks>
public readonly unsafe struct GemmEpilogue
{
    /// <summary>Creates an epilogue.</summary>
    /// <param name="rowBias">One value per row of C added to every column, or null for none.</param>
    /// <param name="residual">A matrix with C's shape added element-wise (row stride <paramref name="residualStride"/>),
    /// or null for none. It must not overlap C: C is written before the residual is read.</param>
    /// <param name="residualStride">Distance in floats between residual rows.</param>
    /// <param name="activation">Applied last.</param>
    public GemmEpilogue(float* rowBias, float* residual, int residualStride, Activation activation)
    {
        RowBias = rowBias;
        Residual = residual;
        ResidualStride = residualStride;
        Activation = activation;
    }

    /// <summary>Per-row bias, or null.</summary>
    public float* RowBias { get; }

    /// <summary>Element-wise residual with C's shape, or null.</summary>
    public float* Residual { get; }

    /// <summary>Row stride of <see cref="Residual"/> in floats.</summary>
    public int ResidualStride { get; }

    /// <summary>Activation applied after bias and residual.</summary>
    public Activation Activation { get; }

    /// <summary>An epilogue that leaves C = A·B.</summary>
    public static GemmEpilogue None => default;

    /// <summary>True when applying this epilogue would change nothing.</summary>
    public bool IsNone => RowBias == null && Residual == null && Activation.Kind == ActivationKind.None;

    /// <summary>Applies the epilogue in place to the block of C at rows [row0, row0+rows), columns [col0, col0+cols).</summary>
    /// <param name="c">Address of C[row0, col0].</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal void ApplyBlock(float* c, int ldc, int row0, int rows, int col0, int cols)
    {
        if (Vector512.IsHardwareAccelerated && Avx512F.IsSupported && Activation.Kind != ActivationKind.Tanh)
        {
            // One call per micro-tile with the activation's constants broadcast once: per-row calls cost as much
            // as the arithmetic for the short-K GEMMs of 1×1 convolutions.
            var activation = new EpilogueKernels.VectorActivation512(Activation);
            var tail = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(cols & 15)).AsSingle();
            for (int r = 0; r < rows; r++)
            {
                int row = row0 + r;
                float* dst = c + (nint)r * ldc;
                var bias = Vector512.Create(RowBias == null ? 0f : RowBias[row]);
                float* residual = Residual == null ? null : Residual + (nint)row * ResidualStride + col0;
                int j = 0;
                for (; j + 16 <= cols; j += 16)
                {
                    var x = Vector512.Load(dst + j) + bias;
                    if (residual != null) x += Vector512.Load(residual + j);
                    activation.Apply(x).Store(dst + j);
                }
                if (j < cols)
                {
                    var x = Avx512F.MaskLoad(dst + j, tail, Vector512<float>.Zero) + bias;
                    if (residual != null) x += Avx512F.MaskLoad(residual + j, tail, Vector512<float>.Zero);
                    Avx512F.MaskStore(dst + j, tail, activation.Apply(x));
                }
            }
            return;
        }
        for (int r = 0; r < rows; r++)
        {
            int row = row0 + r;
            float* dst = c + (nint)r * ldc;
            float bias = RowBias == null ? 0f : RowBias[row];
            float* residual = Residual == null ? null : Residual + (nint)row * ResidualStride + col0;
            EpilogueKernels.Apply(dst, dst, cols, bias, residual, Activation);
        }
    }
}
