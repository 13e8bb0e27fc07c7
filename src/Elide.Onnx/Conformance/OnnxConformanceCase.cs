using Elide.Onnx.Protos;

namespace Elide.Onnx.Conformance;

/// <summary>
/// One conformance case: a model and its data sets. Inputs and expected outputs are serialized
/// TensorProtos matched by position to the graph's inputs that are not initializers, and to its outputs.
/// </summary>
public sealed class OnnxConformanceCase
{
    /// <summary>File name of the model inside a case folder.</summary>
    public const string ModelFileName = "model.onnx";

    private ModelProto? _model;

    private OnnxConformanceCase(string directory, IReadOnlyList<OnnxConformanceDataSet> dataSets)
    {
        Directory = directory;
        Name = Path.GetFileName(directory);
        Category = Path.GetFileName(Path.GetDirectoryName(directory)) ?? "";
        DataSets = dataSets;
    }

    /// <summary>Case name, i.e. the folder name (e.g. <c>test_conv_with_strides_padding</c>).</summary>
    public string Name { get; }

    /// <summary>The parent folder's name: <c>node</c>, <c>simple</c>, <c>pytorch-converted</c> or <c>pytorch-operator</c>.</summary>
    public string Category { get; }

    /// <summary>Full path of the case folder.</summary>
    public string Directory { get; }

    /// <summary>Full path of the model file.</summary>
    public string ModelPath => Path.Combine(Directory, ModelFileName);

    /// <summary>Data sets, ordered by their index N (<c>test_data_set_N</c>).</summary>
    public IReadOnlyList<OnnxConformanceDataSet> DataSets { get; }

    /// <summary>
    /// True for cases generated from an ONNX function's expansion (<c>*_expanded</c>): their graph holds the
    /// function body rather than the op itself.
    /// </summary>
    public bool IsExpandedFunction => Name.EndsWith("_expanded", StringComparison.Ordinal) || Name.Contains("_expanded_", StringComparison.Ordinal);

    /// <summary>Opens the case folder and lists its data sets (nothing is parsed yet).</summary>
    /// <exception cref="FileNotFoundException">The folder has no model.onnx.</exception>
    public static OnnxConformanceCase Open(string directory)
    {
        string full = Path.GetFullPath(directory);
        if (!File.Exists(Path.Combine(full, ModelFileName)))
            throw new FileNotFoundException($"conformance case has no {ModelFileName}: {full}", Path.Combine(full, ModelFileName));
        const string prefix = "test_data_set_";
        var dataSets = System.IO.Directory.EnumerateDirectories(full, prefix + "*")
            .Select(d => (Path: d, Index: int.TryParse(Path.GetFileName(d)[prefix.Length..], out int n) ? n : -1))
            .Where(d => d.Index >= 0)
            .OrderBy(d => d.Index)
            .Select(d => new OnnxConformanceDataSet(d.Index, d.Path))
            .ToArray();
        var result = new OnnxConformanceCase(full, dataSets);
        foreach (var set in dataSets) set.Owner = result;
        return result;
    }

    /// <summary>The model, loaded and validated on first use and cached.</summary>
    /// <exception cref="OnnxFormatException">The model file is malformed.</exception>
    public ModelProto LoadModel() => _model ??= OnnxModelFile.Load(ModelPath);

    /// <summary>Graph inputs fed by the data sets: declared inputs that are not initializers, in order.</summary>
    public IReadOnlyList<ValueInfoProto> FedInputs()
    {
        var graph = LoadModel().Graph;
        var initializers = graph.Initializer.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        return graph.Input.Where(i => !initializers.Contains(i.Name)).ToArray();
    }

    /// <summary>Graph outputs, in order (the expected outputs of a data set match them by position).</summary>
    public IReadOnlyList<ValueInfoProto> Outputs() => LoadModel().Graph.Output;

    /// <summary>True when every fed input and every output is a plain tensor (not a sequence, map, optional or sparse tensor).</summary>
    public bool IsTensorOnly() => FedInputs().Concat(Outputs()).All(v => v.Type?.ValueCase == TypeProto.ValueOneofCase.TensorType);

    /// <summary>Distinct operator types used by the main graph (excluding subgraphs), in first-use order.</summary>
    public IReadOnlyList<string> OpTypes() => LoadModel().Graph.Node.Select(n => n.OpType).Distinct(StringComparer.Ordinal).ToArray();

    /// <inheritdoc/>
    public override string ToString() => $"{Category}/{Name}";
}

/// <summary>One <c>test_data_set_N</c> folder: <c>input_K.pb</c> and <c>output_K.pb</c> files.</summary>
public sealed class OnnxConformanceDataSet
{
    internal OnnxConformanceDataSet(int index, string directory)
    {
        Index = index;
        Directory = directory;
        InputPaths = Numbered(directory, "input_");
        OutputPaths = Numbered(directory, "output_");
    }

    internal OnnxConformanceCase? Owner { get; set; }

    /// <summary>The N of <c>test_data_set_N</c>.</summary>
    public int Index { get; }

    /// <summary>Full path of the folder.</summary>
    public string Directory { get; }

    /// <summary><c>input_K.pb</c> paths ordered by K.</summary>
    public IReadOnlyList<string> InputPaths { get; }

    /// <summary><c>output_K.pb</c> paths ordered by K.</summary>
    public IReadOnlyList<string> OutputPaths { get; }

    /// <summary>Reads the inputs as tensors; input K feeds the K-th non-initializer graph input.</summary>
    /// <exception cref="OnnxFormatException">A file is not a valid TensorProto, or the matching graph input is not a tensor.</exception>
    public IReadOnlyList<OnnxTensor> LoadInputs() => Load(InputPaths, Owner?.FedInputs(), "input");

    /// <summary>Reads the expected outputs as tensors; output K matches the K-th graph output.</summary>
    /// <exception cref="OnnxFormatException">A file is not a valid TensorProto, or the matching graph output is not a tensor.</exception>
    public IReadOnlyList<OnnxTensor> LoadOutputs() => Load(OutputPaths, Owner?.Outputs(), "output");

    private static IReadOnlyList<OnnxTensor> Load(IReadOnlyList<string> paths, IReadOnlyList<ValueInfoProto>? declared, string role)
    {
        var tensors = new OnnxTensor[paths.Count];
        for (int k = 0; k < paths.Count; k++)
        {
            // Sequence/optional values are stored as SequenceProto/OptionalProto, which would mis-parse as a
            // TensorProto without any error, so the graph's declared type decides.
            if (declared is not null && k < declared.Count && declared[k].Type?.ValueCase is { } kind && kind is not (TypeProto.ValueOneofCase.TensorType or TypeProto.ValueOneofCase.None))
                throw new OnnxFormatException($"{paths[k]}: graph {role} '{declared[k].Name}' is a {kind}, not a tensor; only tensor values can be loaded");
            tensors[k] = OnnxTensor.Parse(File.ReadAllBytes(paths[k]), paths[k]);
        }
        return tensors;
    }

    private static IReadOnlyList<string> Numbered(string directory, string prefix) =>
        System.IO.Directory.EnumerateFiles(directory, prefix + "*.pb")
            .Select(p => (Path: p, Index: int.TryParse(Path.GetFileNameWithoutExtension(p)[prefix.Length..], out int k) ? k : -1))
            .Where(p => p.Index >= 0)
            .OrderBy(p => p.Index)
            .Select(p => p.Path)
            .ToArray();
}
