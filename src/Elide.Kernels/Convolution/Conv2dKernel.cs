using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Elide.Kernels.Threading;

namespace Elide.Kernels;

/// <summary>
/// A 2-D convolution with weights prepacked for one geometry:
/// y[n, oc, oh, ow] = act(bias[oc] + residual[n, oc, oh, ow] + Σ_{c, kh, kw} w[oc, c, kh, kw] ·
/// x[n, g·C_g + c, oh·s_h + kh·d_h − pad_top, ow·s_w + kw·d_w − pad_left]), with x = 0 outside the image,
/// g = ⌊oc / (OutChannels / Groups)⌋ and C_g = InChannels / Groups (ONNX Conv). Tensors are NCHW.
/// </summary>
/// <remarks>
/// The algorithm is chosen per shape (<see cref="Method"/>):
/// "gemm-1x1" for 1×1, stride 1, unpadded (the image already is the GEMM's B: [InC × H·W], used in place);
/// "depthwise-direct" for Groups = InChannels = OutChannels (see <see cref="DepthwiseConvolution"/>);
/// "direct-nchw8c" on AVX2 and AVX-512 machines for ungrouped layers with a multiple of 8 input channels
/// (see <see cref="DirectConvolution"/>); "implicit-gemm" otherwise (see <see cref="ImplicitGemmConvolution"/>),
/// per group.
/// Bias, residual and activation are applied as each tile is stored. With a pool, batches of 2 or more are split by
/// image; a single image is split by output tiles (or channels) when it is large enough to pay for the fan-out.
/// Results do not depend on the thread count.
/// </remarks>
public sealed unsafe class Conv2dKernel
{
    private readonly Activation activation;
    private readonly ConvolutionMethod method;
    private readonly PackedMatrix[] groupWeights = [];
    private readonly float[]? depthwiseWeights; // pinned; keeps depthwisePointer valid
    private readonly float[]? biasStorage;      // pinned; keeps biasPointer valid
    private readonly float* depthwisePointer;
    private readonly float* biasPointer;
    private readonly PhaseImage? layout;
    private readonly DirectConvolution? direct;
    private readonly long slotFloats; // workspace floats per concurrently processed image
    private readonly int slots;
    private readonly bool prefetchOutput;

    /// <summary>
    /// Output tensors at least this large (bytes) are prefetched tile by tile before each tile is computed. Smaller
    /// ones (a batch-1 ResNet layer is 50 KiB) are still in L1/L2 from the previous layer, and the prefetch
    /// instructions only cost issue slots: skipping them measured 8–15% faster on the 16- and 32-channel layers.
    /// </summary>
    internal const long PrefetchOutputBytes = 1L << 20;

    [ThreadStatic] private static ConvTask? cachedTask;

    /// <summary>Validates the geometry and prepacks the weights.</summary>
    /// <param name="geometry">Shapes; <see cref="Conv2dGeometry.Batch"/> is the batch every <see cref="Run(float*, float*, float*, float*, WorkerPool?)"/> processes.</param>
    /// <param name="weights">[OutChannels, InChannels / Groups, KernelHeight, KernelWidth] (ONNX / PyTorch layout).</param>
    /// <param name="bias">OutChannels values, or empty for none.</param>
    /// <param name="activation">Applied after bias and residual.</param>
    /// <exception cref="ArgumentException">The geometry is invalid or a span has the wrong length.</exception>
    public Conv2dKernel(in Conv2dGeometry geometry, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Activation activation)
        : this(geometry, weights, bias, activation, null)
    {
    }

    /// <summary>As the public constructor, but with the algorithm forced (tests and benchmarks compare them).</summary>
    /// <exception cref="ArgumentException">The forced method cannot run this geometry.</exception>
    internal Conv2dKernel(in Conv2dGeometry geometry, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias,
        Activation activation, ConvolutionMethod? forced)
    {
        geometry.Validate();
        var g = geometry;
        if (weights.Length != g.WeightLength)
            throw new ArgumentException($"weights holds {weights.Length} floats but [{g.OutChannels}, {g.InChannels / g.Groups}, {g.KernelHeight}, {g.KernelWidth}] needs {g.WeightLength}.", nameof(weights));
        if (bias.Length != 0 && bias.Length != g.OutChannels)
            throw new ArgumentException($"bias holds {bias.Length} floats; expected {g.OutChannels} (OutChannels) or 0.", nameof(bias));
        Geometry = geometry;
        this.activation = activation;
        if (bias.Length > 0)
        {
            biasStorage = Pin(bias, out biasPointer);
        }

        slots = Math.Max(1, Math.Min(g.Batch, Environment.ProcessorCount));
        bool depthwise = g.Groups > 1 && g.Groups == g.InChannels && g.Groups == g.OutChannels;
        bool pointwise = g.KernelHeight == 1 && g.KernelWidth == 1 && g.StrideHeight == 1 && g.StrideWidth == 1
            && g.PadTop == 0 && g.PadLeft == 0 && g.PadBottom == 0 && g.PadRight == 0;
        method = depthwise ? ConvolutionMethod.Depthwise
            : pointwise ? ConvolutionMethod.Gemm1x1
            : g.Groups == 1 && g.InChannels % 8 == 0 && PreferDirect ? ConvolutionMethod.Direct
            : ConvolutionMethod.ImplicitGemm;
        if (forced is { } choice)
        {
            bool possible = choice switch
            {
                ConvolutionMethod.Depthwise => depthwise,
                ConvolutionMethod.Gemm1x1 => pointwise,
                ConvolutionMethod.Direct => g.Groups == 1,
                _ => true,
            };
            if (!possible)
                throw new ArgumentException($"convolution method {choice} cannot run this geometry (groups {g.Groups}, kernel {g.KernelHeight}x{g.KernelWidth}).", nameof(forced));
            method = choice;
        }

        if (method == ConvolutionMethod.Depthwise)
        {
            depthwiseWeights = Pin(weights, out depthwisePointer);
        }
        else if (method == ConvolutionMethod.Direct)
        {
            direct = new DirectConvolution(g, weights, rowTiles: Vector512.IsHardwareAccelerated && Avx512F.IsSupported);
            slotFloats = direct.ImageFloats;
            prefetchOutput = g.OutputLength * sizeof(float) >= PrefetchOutputBytes;
        }
        else
        {
            int groupOut = g.OutChannels / g.Groups;
            int depth = g.InChannels / g.Groups * g.KernelHeight * g.KernelWidth;
            groupWeights = new PackedMatrix[g.Groups];
            for (int group = 0; group < g.Groups; group++)
                groupWeights[group] = PackedMatrix.PackA(weights.Slice(group * groupOut * depth, groupOut * depth), groupOut, depth, Math.Max(depth, 1));
        }

        if (method == ConvolutionMethod.Depthwise)
        {
            // Built one channel at a time in per-thread scratch: no caller workspace.
            layout = new PhaseImage(g with { InChannels = 1, OutChannels = 1, Groups = 1 }, DepthwiseConvolution.Chunk);
        }
        else if (method == ConvolutionMethod.ImplicitGemm)
        {
            layout = new PhaseImage(g, GemmTiling.NR);
            slotFloats = layout.ImageFloats;
            prefetchOutput = g.OutputLength * sizeof(float) >= PrefetchOutputBytes;
        }
        WorkspaceFloats = slotFloats * slots;
    }

    /// <summary>
    /// Whether ungrouped layers with 8k input channels run "direct-nchw8c": wherever AVX2 and FMA are (with AVX-512,
    /// on its row tiles). Per layer it measured 1.3–2.0× the implicit GEMM on a Zen 3 core (AVX2) and 1.04–1.73× on a
    /// Zen 5 core (AVX-512), every ResNet 3×3 layer with 16 or more input channels (docs/benchmarks-kernels.md).
    /// Without hardware vectors its tiles would run Vector256/Vector512 in software, so the GEMM stays there.
    /// </summary>
    internal static bool PreferDirect => Fma.IsSupported && Vector256.IsHardwareAccelerated;

    /// <summary>The shapes this kernel was built for.</summary>
    public Conv2dGeometry Geometry { get; }

    /// <summary>The algorithm chosen: "gemm-1x1", "implicit-gemm", "direct-nchw8c" or "depthwise-direct".</summary>
    public string Method => method switch
    {
        ConvolutionMethod.Gemm1x1 => "gemm-1x1",
        ConvolutionMethod.Depthwise => "depthwise-direct",
        ConvolutionMethod.Direct => "direct-nchw8c",
        _ => "implicit-gemm",
    };

    /// <summary>
    /// Floats of scratch <see cref="Run(float*, float*, float*, float*, WorkerPool?)"/> needs (0 if none): for
    /// implicit GEMM, one padded, phase-split input image per concurrently processed image, up to
    /// min(Batch, processor count); for direct, one padded NCHW8c image each. The other methods need none.
    /// </summary>
    public long WorkspaceFloats { get; }

    /// <summary>Runs the convolution on NCHW tensors.</summary>
    /// <param name="input">Batch × InChannels × InHeight × InWidth.</param>
    /// <param name="output">Batch × OutChannels × OutHeight × OutWidth; fully overwritten.</param>
    /// <param name="residual">Null, or a tensor shaped like the output added before the activation. It must not
    /// be the output buffer.</param>
    /// <param name="workspace"><see cref="WorkspaceFloats"/> floats of scratch (may be null when that is 0).</param>
    /// <param name="pool">Threads to use, or null for the calling thread only.</param>
    /// <exception cref="ArgumentException">The residual is the output, or a needed workspace is missing.</exception>
    public void Run(float* input, float* output, float* residual, float* workspace, WorkerPool? pool = null)
    {
        if (residual != null && residual == output)
            throw new ArgumentException("residual must not be the output buffer.", nameof(residual));
        if (WorkspaceFloats > 0 && workspace == null)
            throw new ArgumentException($"this convolution needs a workspace of {WorkspaceFloats} floats.", nameof(workspace));
        var g = Geometry;
        if (g.Batch == 0) return;
        int threads = pool?.Threads ?? 1;
        bool parallel = threads > 1 && g.MultiplyAccumulates >= GemmDriver.ParallelThresholdMacs;
        var task = cachedTask ??= new ConvTask();
        task.Kernel = this;
        task.Input = input;
        task.Output = output;
        task.Residual = residual;
        task.Workspace = workspace;
        try
        {
            if (parallel && g.Batch >= 2)
            {
                // Whole images per thread: no synchronization inside an image, and each thread's phase image
                // stays in its own L2.
                task.Mode = ConvTaskMode.Images;
                task.NextImage = 0;
                pool!.Run(Math.Min(Math.Min(threads, slots), g.Batch), task);
            }
            else
            {
                for (int n = 0; n < g.Batch; n++) RunImage(task, n, workspace, parallel ? pool : null);
            }
        }
        finally
        {
            task.Kernel = null;
        }
    }

    /// <summary>Runs the convolution on NCHW tensors held in spans; see the pointer overload.</summary>
    /// <exception cref="ArgumentException">A span's length does not match the geometry (the message names it), or
    /// the workspace is shorter than <see cref="WorkspaceFloats"/>.</exception>
    public void Run(ReadOnlySpan<float> input, Span<float> output, ReadOnlySpan<float> residual, Span<float> workspace,
        WorkerPool? pool = null)
    {
        var g = Geometry;
        if (input.Length != g.InputLength)
            throw new ArgumentException($"input holds {input.Length} floats; [{g.Batch}, {g.InChannels}, {g.InHeight}, {g.InWidth}] needs {g.InputLength}.", nameof(input));
        if (output.Length != g.OutputLength)
            throw new ArgumentException($"output holds {output.Length} floats; [{g.Batch}, {g.OutChannels}, {g.OutHeight}, {g.OutWidth}] needs {g.OutputLength}.", nameof(output));
        if (residual.Length != 0 && residual.Length != g.OutputLength)
            throw new ArgumentException($"residual holds {residual.Length} floats; expected 0 or {g.OutputLength} (the output's shape).", nameof(residual));
        if (workspace.Length < WorkspaceFloats)
            throw new ArgumentException($"workspace holds {workspace.Length} floats but this convolution needs {WorkspaceFloats}.", nameof(workspace));
        if (residual.Length != 0 && output.Overlaps(residual))
            throw new ArgumentException("residual must not overlap the output.", nameof(residual));
        fixed (float* pi = input, po = output, pr = residual, pw = workspace)
            Run(pi, po, residual.Length == 0 ? null : pr, WorkspaceFloats == 0 ? null : pw, pool);
    }

    /// <summary>One image, using workspace slot <paramref name="slot"/>; splits it across <paramref name="pool"/> if given.</summary>
    private void RunImage(ConvTask task, int n, float* slot, WorkerPool? pool)
    {
        var g = Geometry;
        float* input = ImageInput(task, n);
        if (method == ConvolutionMethod.Gemm1x1)
        {
            int plane = g.InHeight * g.InWidth;
            int groupIn = g.InChannels / g.Groups, groupOut = g.OutChannels / g.Groups;
            float* output = task.Output + (long)n * g.OutChannels * plane;
            float* residual = task.Residual == null ? null : task.Residual + (long)n * g.OutChannels * plane;
            for (int group = 0; group < g.Groups; group++)
            {
                var epilogue = new GemmEpilogue(biasPointer == null ? null : biasPointer + group * groupOut,
                    residual == null ? null : residual + (long)group * groupOut * plane, plane, activation);
                Gemm.Multiply(groupWeights[group], input + (long)group * groupIn * plane, plane, plane,
                    output + (long)group * groupOut * plane, plane, epilogue, pool);
            }
            return;
        }

        if (method == ConvolutionMethod.Depthwise)
        {
            // Each channel builds its own phase planes inside the compute step.
        }
        else if (pool != null && slotFloats >= 1 << 16)
        {
            task.Mode = ConvTaskMode.Build;
            task.Image = n;
            task.Slot = slot;
            task.Parts = Math.Min(pool.Threads, BuildParts);
            pool.Run(task.Parts, task);
        }
        else
        {
            Build(input, slot, 0, BuildParts);
        }

        int units = UnitCount;
        if (pool != null && units > 1)
        {
            task.Mode = ConvTaskMode.Units;
            task.Image = n;
            task.Slot = slot;
            // Several chunks per thread: units are independent (no packing to repeat), and a thread that starts
            // late or is preempted leaves its chunks to the others instead of holding up the whole layer.
            task.Parts = Math.Min(pool.Threads * 4, units);
            pool.Run(task.Parts, task);
        }
        else
        {
            ComputeUnits(task, n, slot, 0, units);
        }
    }

    /// <summary>Independent pieces of one image: (group, column tile) pairs, (channel tile, position chunk) pairs
    /// for direct, or channels for depthwise.</summary>
    private int UnitCount => method switch
    {
        ConvolutionMethod.Depthwise => Geometry.InChannels,
        ConvolutionMethod.Direct => direct!.UnitCount,
        _ => Geometry.Groups * ((layout!.FlatLength + GemmTiling.NR - 1) / GemmTiling.NR),
    };

    /// <summary>Pieces of the workspace image build: channels, or channel blocks for direct.</summary>
    private int BuildParts => method == ConvolutionMethod.Direct ? direct!.ChannelBlocks : Geometry.InChannels;

    private void Build(float* input, float* slot, int start, int end)
    {
        if (method == ConvolutionMethod.Direct) direct!.Build(input, slot, start, end);
        else layout!.Build(input, slot, start, end);
    }

    private void ComputeUnits(ConvTask task, int n, float* slot, int start, int end)
    {
        var g = Geometry;
        int outPlane = g.OutHeight * g.OutWidth;
        long imageOut = (long)n * g.OutChannels * outPlane;
        if (method == ConvolutionMethod.Direct)
        {
            // Results arrive by output position: no padding columns (Wq = OutWidth).
            var dense = new ConvOutput(task.Output + imageOut, task.Residual == null ? null : task.Residual + imageOut,
                biasPointer, g.OutWidth, outPlane, g.OutWidth, null, activation);
            direct!.Compute(slot, dense, start, end, prefetchOutput);
            return;
        }
        var output = new ConvOutput(task.Output + imageOut, task.Residual == null ? null : task.Residual + imageOut,
            biasPointer, g.OutWidth, outPlane, layout!.Wq, layout.ValidRuns, activation);
        if (method == ConvolutionMethod.Depthwise)
            DepthwiseConvolution.Compute(depthwisePointer, layout, ImageInput(task, n), g.InHeight * g.InWidth, output, start, end);
        else
            ImplicitGemmConvolution.Compute(groupWeights, layout, slot, output, g.InChannels / g.Groups, start, end,
                prefetchOutput);
    }

    private float* ImageInput(ConvTask task, int n) =>
        task.Input + (long)n * Geometry.InChannels * Geometry.InHeight * Geometry.InWidth;

    private static float[] Pin(ReadOnlySpan<float> values, out float* pointer)
    {
        var array = GC.AllocateArray<float>(Math.Max(values.Length, 1), pinned: true);
        values.CopyTo(array);
        pointer = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array));
        return array;
    }

    internal enum ConvolutionMethod { Gemm1x1, ImplicitGemm, Depthwise, Direct }

    private enum ConvTaskMode { Images, Build, Units }

    /// <summary>The parallel pieces of one Run; kept per calling thread so steady-state runs allocate nothing.</summary>
    private sealed class ConvTask : IParallelTask
    {
        public Conv2dKernel? Kernel;
        public float* Input, Output, Residual, Workspace, Slot;
        public ConvTaskMode Mode;
        public int Image, Parts, NextImage;

        public void Execute(int index)
        {
            var kernel = Kernel!;
            switch (Mode)
            {
                case ConvTaskMode.Images:
                    {
                        // Implicit GEMM and direct have a per-image workspace; other methods may still be handed a scratch pointer.
                        float* slot = Workspace == null || kernel.slotFloats == 0 ? null : Workspace + index * kernel.slotFloats;
                        int n;
                        while ((n = Interlocked.Increment(ref NextImage) - 1) < kernel.Geometry.Batch)
                            kernel.RunImage(this, n, slot, null);
                        break;
                    }
                case ConvTaskMode.Build:
                    {
                        var (start, end) = WorkerPool.Range(index, Parts, kernel.BuildParts);
                        kernel.Build(kernel.ImageInput(this, Image), Slot, start, end);
                        break;
                    }
                default:
                    {
                        var (start, end) = WorkerPool.Range(index, Parts, kernel.UnitCount);
                        kernel.ComputeUnits(this, Image, Slot, start, end);
                        break;
                    }
            }
        }
    }
}
