namespace MlNetRnn.Tests.Trainers.Training;

/// <summary>
/// A background thread that forces full garbage collections and runs finalizers as fast as it can, so any native object whose
/// managed wrapper becomes unreachable before its native call returns (an implicit TorchSharp <c>Scalar</c>) is freed mid-call.
/// </summary>
internal sealed class CollectionPressure : IDisposable
{
    private readonly Thread _thread;
    private volatile bool _stop;

    public CollectionPressure()
    {
        _thread = new Thread(() =>
        {
            while (!_stop)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                Collections++;
            }
        }) { IsBackground = true, Name = "collection pressure" };
        _thread.Start();
    }

    /// <summary>Full collections forced so far.</summary>
    public long Collections { get; private set; }

    public void Dispose()
    {
        _stop = true;
        _thread.Join();
    }
}
