using Elide.Graph;
using Elide.Kernels;
using Elide.Ops;
using Elide.Runtime;
using Elide.Tensors;

namespace Elide.Tests.Graph;

public class GraphValidationTests
{
    [Fact]
    public void ShapeMismatchNamesNodeOpAndShapes()
    {
        var g = new ComputeGraph();
        var x = g.AddInput("x", new Shape(-1, 3, 8, 8));
        var y = g.Apply("badconv", new ConvOp(), x, g.AddConstant("w", new Tensor(new Shape(4, 5, 3, 3))));
        g.MarkOutput(y);
        var e = Assert.Throws<GraphException>(() => g.InferShapes([new Shape(1, 3, 8, 8)]));
        Assert.Contains("badconv", e.Message);
        Assert.Contains("Conv", e.Message);
        Assert.Contains("[4,5,3,3]", e.Message);
    }

    [Fact]
    public void WrongInputShapeIsRejected()
    {
        var g = new ComputeGraph();
        var x = g.AddInput("x", new Shape(-1, 3, 8, 8));
        g.MarkOutput(g.Apply(new ActivationOp(Activation.Relu), x));
        var session = new InferenceSession(g);
        var e = Assert.Throws<GraphException>(() => session.Run(new Tensor(new Shape(1, 4, 8, 8))));
        Assert.Contains("[?,3,8,8]", e.Message);
    }

    [Fact]
    public void CycleIsDetected()
    {
        var g = new ComputeGraph();
        var x = g.AddInput("x", new Shape(1, 4));
        var a = g.AddNode(new BinaryOp(BinaryOperation.Add), [x, x], 1, "a");
        var b = g.AddNode(new ActivationOp(Activation.Relu), [a.Outputs[0]], 1, "b");
        a.Inputs = [x, b.Outputs[0]];
        g.MarkOutput(b.Outputs[0]);
        var e = Assert.Throws<GraphException>(() => g.TopologicalOrder());
        Assert.Contains("cycle", e.Message);
    }

    [Fact]
    public void ReshapeRejectsWrongElementCount()
    {
        var g = new ComputeGraph();
        var x = g.AddInput("x", new Shape(2, 6));
        g.MarkOutput(g.Apply("r", new ReshapeOp([5, -1]), x));
        var e = Assert.Throws<GraphException>(() => g.InferShapes());
        Assert.Contains("cannot reshape [2,6]", e.Message);
    }
}
