using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Elide.Kernels;

/// <summary>
/// The fused output stage shared by GEMM and convolution: dst[i] = act(src[i] + bias + residual[i]).
/// </summary>
/// <remarks>
/// The scalar path is the definition (it calls <see cref="Activation.Apply"/>). The vector paths use the
/// x86 "native" min/max, whose NaN result is the second operand, with x always second so NaN propagates as in the
/// definition. Tanh has no vector form in the BCL and stays scalar; Sigmoid uses <c>Vector512.Exp</c>.
/// Processing is strictly element by element, so dst may equal src or residual.
/// </remarks>
internal static unsafe class EpilogueKernels
{
    /// <summary>dst[i] = act(src[i] + bias + (residual == null ? 0 : residual[i])) for i in [0, length).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Apply(float* dst, float* src, int length, float bias, float* residual, in Activation activation)
    {
        int i = 0;
        if (activation.Kind != ActivationKind.Tanh)
        {
            if (Vector512.IsHardwareAccelerated && Avx512F.IsSupported)
            {
                var ops = new VectorActivation512(activation);
                var biasV = Vector512.Create(bias);
                for (; i + 16 <= length; i += 16)
                {
                    var x = Vector512.Load(src + i) + biasV;
                    if (residual != null) x += Vector512.Load(residual + i);
                    ops.Apply(x).Store(dst + i);
                }
                if (i < length)
                {
                    var mask = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(length - i)).AsSingle();
                    var x = Avx512F.MaskLoad(src + i, mask, Vector512<float>.Zero) + biasV;
                    if (residual != null) x += Avx512F.MaskLoad(residual + i, mask, Vector512<float>.Zero);
                    Avx512F.MaskStore(dst + i, mask, ops.Apply(x));
                }
                return;
            }
            if (Vector256.IsHardwareAccelerated)
            {
                // The activation is a type parameter so that the per-vector switch disappears for the common
                // cases: this runs once per output row segment (7–56 values), so its per-vector cost shows.
                i = activation.Kind switch
                {
                    ActivationKind.None => Apply256(dst, src, length, bias, residual, new Identity256()),
                    ActivationKind.Relu => Apply256(dst, src, length, bias, residual, new Relu256()),
                    _ => Apply256(dst, src, length, bias, residual, new VectorActivation256(activation)),
                };
                if (i == length) return;
            }
        }
        for (; i < length; i++)
        {
            float x = src[i] + bias;
            if (residual != null) x += residual[i];
            dst[i] = activation.Apply(x);
        }
    }

    /// <summary>Vector256 part of <see cref="Apply"/>: full vectors, then an AVX masked tail; returns how many values
    /// it finished (all of them when AVX is available).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Apply256<TAct>(float* dst, float* src, int length, float bias, float* residual, TAct ops)
        where TAct : struct, IVectorActivation256
    {
        int i = 0;
        var biasV = Vector256.Create(bias);
        if (residual == null)
        {
            for (; i + 8 <= length; i += 8) ops.Apply(Vector256.Load(src + i) + biasV).Store(dst + i);
        }
        else
        {
            for (; i + 8 <= length; i += 8) ops.Apply(Vector256.Load(src + i) + biasV + Vector256.Load(residual + i)).Store(dst + i);
        }
        if (i < length && Avx.IsSupported)
        {
            // vmaskmovps: rows of 7 or 14 outputs would otherwise be mostly scalar.
            var mask = Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(length - i)).AsSingle();
            var x = Avx.MaskLoad(src + i, mask) + biasV;
            if (residual != null) x += Avx.MaskLoad(residual + i, mask);
            Avx.MaskStore(dst + i, mask, ops.Apply(x));
            i = length;
        }
        return i;
    }

    /// <summary>An activation in Vector256 form (a struct type parameter, so calls are resolved when the JIT specializes).</summary>
    internal interface IVectorActivation256
    {
        Vector256<float> Apply(Vector256<float> x);
    }

    internal readonly struct Identity256 : IVectorActivation256
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<float> Apply(Vector256<float> x) => x;
    }

    internal readonly struct Relu256 : IVectorActivation256
    {
        /// <summary>max(0, x) with x second, so NaN propagates as in the scalar definition.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<float> Apply(Vector256<float> x) => Vector256.MaxNative(Vector256<float>.Zero, x);
    }

    /// <summary>Vector512 forms of the activations; the parameters are broadcast once per call.</summary>
    internal readonly struct VectorActivation512(Activation activation)
    {
        private readonly ActivationKind kind = activation.Kind;
        private readonly Vector512<float> alpha = Vector512.Create(activation.Alpha);
        private readonly Vector512<float> beta = Vector512.Create(activation.Beta);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<float> Apply(Vector512<float> x)
        {
            switch (kind)
            {
                case ActivationKind.None:
                    return x;
                case ActivationKind.Relu:
                    return Vector512.MaxNative(Vector512<float>.Zero, x);
                case ActivationKind.LeakyRelu:
                    return Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(x, Vector512<float>.Zero), x, x * alpha);
                case ActivationKind.Clip:
                    return Vector512.MinNative(beta, Vector512.MaxNative(alpha, x));
                case ActivationKind.Sigmoid:
                    return Vector512<float>.One / (Vector512<float>.One + Vector512.Exp(-x));
                case ActivationKind.HardSwish:
                    {
                        var gate = Vector512.FusedMultiplyAdd(x, Vector512.Create(1f / 6f), Vector512.Create(0.5f));
                        gate = Vector512.MinNative(Vector512<float>.One, Vector512.MaxNative(Vector512<float>.Zero, gate));
                        return x * gate;
                    }
                case ActivationKind.HardSigmoid:
                    {
                        var y = Vector512.FusedMultiplyAdd(x, alpha, beta);
                        return Vector512.MinNative(Vector512<float>.One, Vector512.MaxNative(Vector512<float>.Zero, y));
                    }
                default:
                    throw new ArgumentOutOfRangeException(nameof(kind), kind, "activation has no vector form");
            }
        }
    }

    /// <summary>Vector256 forms of the activations, identical in meaning to <see cref="VectorActivation512"/>.</summary>
    internal readonly struct VectorActivation256(Activation activation) : IVectorActivation256
    {
        private readonly ActivationKind kind = activation.Kind;
        private readonly Vector256<float> alpha = Vector256.Create(activation.Alpha);
        private readonly Vector256<float> beta = Vector256.Create(activation.Beta);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<float> Apply(Vector256<float> x)
        {
            switch (kind)
            {
                case ActivationKind.None:
                    return x;
                case ActivationKind.Relu:
                    return Vector256.MaxNative(Vector256<float>.Zero, x);
                case ActivationKind.LeakyRelu:
                    return Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(x, Vector256<float>.Zero), x, x * alpha);
                case ActivationKind.Clip:
                    return Vector256.MinNative(beta, Vector256.MaxNative(alpha, x));
                case ActivationKind.Sigmoid:
                    return Vector256<float>.One / (Vector256<float>.One + Vector256.Exp(-x));
                case ActivationKind.HardSwish:
                    {
                        var gate = Vector256.FusedMultiplyAdd(x, Vector256.Create(1f / 6f), Vector256.Create(0.5f));
                        gate = Vector256.MinNative(Vector256<float>.One, Vector256.MaxNative(Vector256<float>.Zero, gate));
                        return x * gate;
                    }
                case ActivationKind.HardSigmoid:
                    {
                        var y = Vector256.FusedMultiplyAdd(x, alpha, beta);
                        return Vector256.MinNative(Vector256<float>.One, Vector256.MaxNative(Vector256<float>.Zero, y));
                    }
                default:
                    throw new ArgumentOutOfRangeException(nameof(kind), kind, "activation has no vector form");
            }
        }
    }
}
