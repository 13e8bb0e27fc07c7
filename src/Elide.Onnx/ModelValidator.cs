using Elide.Onnx.Protos;

namespace Elide.Onnx;

/// <summary>
/// Structural checks run on every load and save: the things that would otherwise surface later as
/// confusing failures deep inside an importer (IR.md, "Graphs", "Names Within a Graph", "Tensor Definition").
/// Operator semantics are not checked here; that is the importer's job.
/// </summary>
internal sealed class ModelValidator
{
    private readonly string _source;
    private readonly string? _baseDirectory;
    private readonly bool _checkExternalFiles;

    private ModelValidator(string source, string? baseDirectory, bool checkExternalFiles)
    {
        _source = source;
        _baseDirectory = baseDirectory;
        _checkExternalFiles = checkExternalFiles;
    }

    /// <summary>Validates <paramref name="model"/>; errors are prefixed with <paramref name="source"/>.</summary>
    /// <param name="checkExternalFiles">When true, external data files must exist and cover the referenced ranges.</param>
    public static void Validate(ModelProto model, string source, string? baseDirectory, bool checkExternalFiles)
        => new ModelValidator(source, baseDirectory, checkExternalFiles).ValidateModel(model);

    private OnnxFormatException Error(string message) => new($"{_source}: {message}");

    private void ValidateModel(ModelProto model)
    {
        if (!model.HasIrVersion)
            throw Error("ir_version is missing; this is not an ONNX model, or the file is corrupt");
        if (model.IrVersion < OnnxModelFile.MinIrVersion || model.IrVersion > OnnxModelFile.MaxIrVersion)
            throw Error($"ir_version {model.IrVersion} is not supported (supported: {OnnxModelFile.MinIrVersion}..{OnnxModelFile.MaxIrVersion})");
        if (model.Graph is null)
            throw Error("the model has no graph");
        if (model.OpsetImport.Count == 0)
            throw Error("opset_import is empty; the model must name the operator set versions it uses");
        CheckOpsets(model.OpsetImport, "model");

        ValidateGraph(model.Graph, $"graph '{model.Graph.Name}'");
        foreach (var function in model.Functions)
        {
            string where = $"function '{function.Domain}.{function.Name}'";
            CheckOpsets(function.OpsetImport, where);
            foreach (var node in function.Node) ValidateNodeAttributes(node, where);
        }
        foreach (var training in model.TrainingInfo)
        {
            if (training.Initialization is not null) ValidateGraph(training.Initialization, "training initialization graph");
            if (training.Algorithm is not null) ValidateGraph(training.Algorithm, "training algorithm graph");
        }
    }

    private void CheckOpsets(IEnumerable<OperatorSetIdProto> opsets, string where)
    {
        var domains = new HashSet<string>(StringComparer.Ordinal);
        foreach (var opset in opsets)
        {
            // "" and "ai.onnx" name the same default domain.
            string domain = opset.Domain == "ai.onnx" ? "" : opset.Domain;
            if (!domains.Add(domain))
                throw Error($"{where}: opset_import lists domain '{opset.Domain}' more than once");
            if (opset.Version < 1)
                throw Error($"{where}: opset_import for domain '{opset.Domain}' has version {opset.Version}");
        }
    }

    private void ValidateGraph(GraphProto graph, string where)
    {
        var initializers = new HashSet<string>(StringComparer.Ordinal);
        foreach (var tensor in graph.Initializer)
        {
            if (tensor.Name.Length == 0) throw Error($"{where}: an initializer has no name");
            if (!initializers.Add(tensor.Name)) throw Error($"{where}: duplicate initializer name '{tensor.Name}'");
            ValidateTensor(tensor, $"{where}: initializer '{tensor.Name}'");
        }
        foreach (var sparse in graph.SparseInitializer)
        {
            string name = sparse.Values?.Name ?? "";
            if (name.Length == 0) throw Error($"{where}: a sparse initializer has no name (values.name)");
            if (!initializers.Add(name)) throw Error($"{where}: duplicate initializer name '{name}'");
            ValidateSparse(sparse, $"{where}: sparse initializer '{name}'");
        }

        // Every value is defined once: by a graph input, an initializer, or exactly one node output (SSA).
        // Inputs may repeat initializer names (IR < 4 requires it: the initializer is the input's default).
        var defined = new HashSet<string>(initializers, StringComparer.Ordinal);
        var inputs = new HashSet<string>(StringComparer.Ordinal);
        foreach (var input in graph.Input)
        {
            if (input.Name.Length == 0) throw Error($"{where}: a graph input has no name");
            if (!inputs.Add(input.Name)) throw Error($"{where}: duplicate graph input '{input.Name}'");
            defined.Add(input.Name);
        }
        var outputs = new HashSet<string>(StringComparer.Ordinal);
        foreach (var output in graph.Output)
        {
            if (output.Name.Length == 0) throw Error($"{where}: a graph output has no name");
            if (!outputs.Add(output.Name)) throw Error($"{where}: duplicate graph output '{output.Name}'");
        }

        for (int i = 0; i < graph.Node.Count; i++)
        {
            var node = graph.Node[i];
            string nodeWhere = $"{where}: node {i} '{node.Name}' ({node.OpType})";
            if (node.OpType.Length == 0) throw Error($"{where}: node {i} '{node.Name}' has no op_type");
            foreach (var output in node.Output)
            {
                if (output.Length == 0) continue; // omitted optional output
                if (!defined.Add(output))
                    throw Error($"{nodeWhere}: output '{output}' is already defined by a graph input, an initializer or an earlier node");
            }
            ValidateNodeAttributes(node, nodeWhere);
        }
    }

    private void ValidateNodeAttributes(NodeProto node, string where)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var attribute in node.Attribute)
        {
            if (attribute.Name.Length == 0) throw Error($"{where}: an attribute has no name");
            if (!names.Add(attribute.Name)) throw Error($"{where}: duplicate attribute '{attribute.Name}'");
            string attributeWhere = $"{where} attribute '{attribute.Name}'";
            if (attribute.T is not null) ValidateTensor(attribute.T, attributeWhere);
            for (int i = 0; i < attribute.Tensors.Count; i++) ValidateTensor(attribute.Tensors[i], $"{attributeWhere}[{i}]");
            if (attribute.SparseTensor is not null) ValidateSparse(attribute.SparseTensor, attributeWhere);
            for (int i = 0; i < attribute.SparseTensors.Count; i++) ValidateSparse(attribute.SparseTensors[i], $"{attributeWhere}[{i}]");
            if (attribute.G is not null) ValidateGraph(attribute.G, $"{attributeWhere} subgraph '{attribute.G.Name}'");
            for (int i = 0; i < attribute.Graphs.Count; i++) ValidateGraph(attribute.Graphs[i], $"{attributeWhere}[{i}] subgraph '{attribute.Graphs[i].Name}'");
        }
    }

    private void ValidateSparse(SparseTensorProto sparse, string where)
    {
        if (sparse.Values is null) throw Error($"{where}: sparse tensor has no values");
        foreach (long dim in sparse.Dims)
            if (dim < 0) throw Error($"{where}: sparse tensor dims {TensorLayout.FormatDims(sparse.Dims)} contain a negative dimension");
        ValidateTensor(sparse.Values, $"{where} values");
        if (sparse.Indices is not null) ValidateTensor(sparse.Indices, $"{where} indices");
    }

    private void ValidateTensor(TensorProto tensor, string where)
    {
        long count;
        TensorStorage storage;
        try
        {
            count = TensorLayout.ElementCount(tensor.Dims, where);
            storage = TensorLayout.Check(tensor, count, where);
            if (storage == TensorStorage.External && tensor.Segment is null)
            {
                var reference = ExternalDataReference.Parse(tensor, where);
                if (_checkExternalFiles)
                    ExternalData.Locate(tensor, _baseDirectory, TensorLayout.RawByteLength(tensor.DataType, count), where);
                else if (_baseDirectory is not null)
                    ExternalData.ResolvePath(reference.Location, _baseDirectory, where);
            }
        }
        catch (OnnxFormatException e)
        {
            throw Error(e.Message);
        }
    }
}
