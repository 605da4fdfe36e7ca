
namespace MlNetRnn.Tests;

/// <summary>
/// Plain C# implementations of the PyTorch cell equations, in double precision, written from the published
/// gate equations and independent of both TorchSharp and ONNX Runtime.
/// Weights use PyTorch layouts: weight_ih [G·H, in] with gate blocks LSTM (i, f, g, o), GRU (r, z, n).
/// </summary>
internal static class ReferenceRecurrentCells
{
    public static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    /// <summary>Runs one layer over <paramref name="xs"/> (each a vector of the layer's input size) and returns h after the last step.</summary>
    public static double[] Run(RecurrentCellKind cell, int hidden, float[] wih, float[] whh, float[] bih, float[] bhh, IReadOnlyList<double[]> xs)
    {
        var h = new double[hidden];
        var c = new double[hidden];
        foreach (var x in xs)
        {
            int g = cell switch { RecurrentCellKind.Lstm => 4, RecurrentCellKind.Gru => 3, _ => 1 };
            // a[k] = W_ih x + b_ih for gate row k; b[k] = W_hh h + b_hh.
            var a = new double[g * hidden];
            var b = new double[g * hidden];
            for (int k = 0; k < g * hidden; k++)
            {
                double s = bih[k];
                for (int j = 0; j < x.Length; j++) s += wih[k * x.Length + j] * x[j];
                a[k] = s;
                double t = bhh[k];
                for (int j = 0; j < hidden; j++) t += whh[k * hidden + j] * h[j];
                b[k] = t;
            }
            var next = new double[hidden];
            for (int u = 0; u < hidden; u++)
            {
                switch (cell)
                {
                    case RecurrentCellKind.Lstm:
                    {
                        double i = Sigmoid(a[u] + b[u]);
                        double f = Sigmoid(a[hidden + u] + b[hidden + u]);
                        double gg = Math.Tanh(a[2 * hidden + u] + b[2 * hidden + u]);
                        double o = Sigmoid(a[3 * hidden + u] + b[3 * hidden + u]);
                        c[u] = f * c[u] + i * gg;
                        next[u] = o * Math.Tanh(c[u]);
                        break;
                    }
                    case RecurrentCellKind.Gru:
                    {
                        double r = Sigmoid(a[u] + b[u]);
                        double z = Sigmoid(a[hidden + u] + b[hidden + u]);
                        double n = Math.Tanh(a[2 * hidden + u] + r * b[2 * hidden + u]);
                        next[u] = (1 - z) * n + z * h[u];
                        break;
                    }
                    case RecurrentCellKind.RnnTanh:
                        next[u] = Math.Tanh(a[u] + b[u]);
                        break;
                    default:
                        next[u] = Math.Max(0, a[u] + b[u]);
                        break;
                }
            }
            h = next;
        }
        return h;
    }
}
