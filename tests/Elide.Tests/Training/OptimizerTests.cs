using Elide.Tensors;
using Elide.Training;

namespace Elide.Tests.Training;

public class OptimizerTests
{
    private static Parameter Param(bool decay, params float[] values) => new("p", new Tensor(new Shape(values.Length), values), decay);

    private static void SetGradient(Parameter p, params float[] g)
    {
        p.ZeroGradient();
        p.AddGradient((float[])g.Clone());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void MomentumAndWeightDecayFollowTheTorchRule(bool nesterov)
    {
        // Hand-computed with torch.optim.SGD's rule: g = ∇ + λw; v = g (first) then μv + g; d = g + μv (Nesterov) or v.
        var decayed = Param(true, 1f, -2f);
        var plain = Param(false, 1f, -2f);
        var sgd = new SgdOptimizer([decayed, plain], new SgdOptions(Momentum: 0.9f, Nesterov: nesterov, WeightDecay: 0.1f));
        double[] w = [1, -2], wPlain = [1, -2], v = [0, 0], vPlain = [0, 0];
        float[][] grads = [[0.5f, 0.25f], [-1f, 2f], [0.1f, -0.3f]];
        for (int step = 0; step < grads.Length; step++)
        {
            SetGradient(decayed, grads[step]);
            SetGradient(plain, grads[step]);
            sgd.Step(0.1);
            for (int i = 0; i < 2; i++)
            {
                double g = grads[step][i] + 0.1 * w[i], gPlain = grads[step][i];
                v[i] = step == 0 ? g : 0.9 * v[i] + g;
                vPlain[i] = step == 0 ? gPlain : 0.9 * vPlain[i] + gPlain;
                w[i] -= 0.1 * (nesterov ? g + 0.9 * v[i] : v[i]);
                wPlain[i] -= 0.1 * (nesterov ? gPlain + 0.9 * vPlain[i] : vPlain[i]);
                Assert.Equal(w[i], decayed.Value.Data[i], 5);
                Assert.Equal(wPlain[i], plain.Value.Data[i], 5);
            }
        }
        Assert.Equal(3, sgd.StepCount);
    }

    [Fact]
    public void PlainSgdAndParametersWithoutGradientsAreHandled()
    {
        var p = Param(true, 2f);
        var idle = Param(true, 5f);
        var sgd = new SgdOptimizer([p, idle], new SgdOptions(Momentum: 0f, WeightDecay: 0.5f));
        SetGradient(p, 1f);
        sgd.Step(0.1);
        Assert.Equal(2 - 0.1 * (1 + 0.5 * 2), p.Value.Data[0], 6);
        Assert.Equal(5f, idle.Value.Data[0]); // no gradient (e.g. a dropped block): untouched, not even decayed
        sgd.ZeroGradients();
        Assert.Null(p.Gradient);
        Assert.Throws<ArgumentOutOfRangeException>(() => sgd.Step(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SgdOptimizer([p], new SgdOptions(Momentum: 0f, Nesterov: true)));
    }

    [Fact]
    public void CosineScheduleWithWarmup()
    {
        var s = new CosineSchedule(0.4, totalSteps: 110, warmupSteps: 10, finalRate: 0.0);
        Assert.Equal(0.04, s.RateAt(0), 12);
        Assert.Equal(0.4, s.RateAt(9), 12);
        Assert.Equal(0.4, s.RateAt(10), 12);
        Assert.Equal(0.2, s.RateAt(60), 12);
        Assert.Equal(0.0, s.RateAt(110), 12);
        Assert.Equal(0.0, s.RateAt(500), 12);
        for (int t = 11; t <= 110; t++) Assert.True(s.RateAt(t) <= s.RateAt(t - 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CosineSchedule(0.1, totalSteps: 5, warmupSteps: 5));
    }

    [Fact]
    public void StepScheduleWithWarmup()
    {
        var s = new StepSchedule(0.1, [100, 150], gamma: 0.1, warmupSteps: 4);
        Assert.Equal(0.025, s.RateAt(0), 12);
        Assert.Equal(0.1, s.RateAt(4), 12);
        Assert.Equal(0.1, s.RateAt(103), 12);
        Assert.Equal(0.01, s.RateAt(104), 12);
        Assert.Equal(0.001, s.RateAt(154), 12);
        Assert.Equal(0.1, new StepSchedule(0.1, []).RateAt(1_000_000), 12);
        Assert.Throws<ArgumentOutOfRangeException>(() => new StepSchedule(0.1, [10, 10]));
    }
}
