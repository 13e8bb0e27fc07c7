using Elide.Onnx.Protos;

namespace Elide.Onnx;

/// <summary>Enumerates every TensorProto stored in a model: initializers, attribute tensors, subgraphs, functions.</summary>
internal static class ModelTensors
{
    public static IEnumerable<TensorProto> All(ModelProto model)
    {
        var found = new List<TensorProto>();
        if (model.Graph is not null) AddGraph(model.Graph, found);
        foreach (var function in model.Functions)
            foreach (var node in function.Node) AddNode(node, found);
        foreach (var training in model.TrainingInfo)
        {
            if (training.Initialization is not null) AddGraph(training.Initialization, found);
            if (training.Algorithm is not null) AddGraph(training.Algorithm, found);
        }
        return found;
    }

    private static void AddGraph(GraphProto graph, List<TensorProto> found)
    {
        found.AddRange(graph.Initializer);
        foreach (var sparse in graph.SparseInitializer) AddSparse(sparse, found);
        foreach (var node in graph.Node) AddNode(node, found);
    }

    private static void AddNode(NodeProto node, List<TensorProto> found)
    {
        foreach (var attribute in node.Attribute)
        {
            if (attribute.T is not null) found.Add(attribute.T);
            found.AddRange(attribute.Tensors);
            if (attribute.SparseTensor is not null) AddSparse(attribute.SparseTensor, found);
            foreach (var sparse in attribute.SparseTensors) AddSparse(sparse, found);
            if (attribute.G is not null) AddGraph(attribute.G, found);
            foreach (var graph in attribute.Graphs) AddGraph(graph, found);
        }
    }

    private static void AddSparse(SparseTensorProto sparse, List<TensorProto> found)
    {
        if (sparse.Values is not null) found.Add(sparse.Values);
        if (sparse.Indices is not null) found.Add(sparse.Indices);
    }
}
