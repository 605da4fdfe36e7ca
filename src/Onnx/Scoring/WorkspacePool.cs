using System.Collections.Concurrent;

namespace MlNetRnn.Onnx.Scoring;

/// <summary>
/// Per-call buffers of a thread-safe scorer: a caller rents one, uses it alone and returns it; the pool grows to the number of callers
/// that ever ran at once and disposes every workspace it made when the scorer is disposed.
/// </summary>
internal sealed class WorkspacePool<T> : IDisposable where T : class, IDisposable
{
    private readonly Func<T> _create;
    private readonly ConcurrentBag<T> _idle = new();
    private readonly ConcurrentBag<T> _all = new();

    public WorkspacePool(Func<T> create) => _create = create;

    public T Rent()
    {
        if (_idle.TryTake(out var workspace))
            return workspace;
        workspace = _create();
        _all.Add(workspace);
        return workspace;
    }

    public void Return(T workspace) => _idle.Add(workspace);

    public void Dispose()
    {
        foreach (var workspace in _all)
            workspace.Dispose();
    }
}
