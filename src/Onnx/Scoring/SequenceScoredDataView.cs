using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetRnn.Transforms;

namespace MlNetRnn.Onnx.Scoring;

/// <summary>
/// A lazy view that adds an <see cref="OnnxSequenceScorer"/>'s outputs to an input view of variable-length rows. As a cursor moves, a
/// second cursor over the input reads the next window of rows ahead, the window is sorted by length and scored in batches, and the
/// results are handed out in input order; memory stays bounded by one window however long the input is.
/// </summary>
internal sealed class SequenceScoredDataView : ReadAheadScoredDataView
{
    private readonly OnnxSequenceScorer _scorer;
    private readonly DataViewSchema.Column _source;
    private readonly SequenceOutput[] _outputs;

    public SequenceScoredDataView(OnnxSequenceScorer scorer, IDataView input, string inputColumnName, SequenceOutput[] outputs, string[] columnNames)
        : this(scorer, input, RequireInput(input.Schema, inputColumnName, scorer.Plan), outputs, columnNames)
    {
    }

    private SequenceScoredDataView(OnnxSequenceScorer scorer, IDataView input, DataViewSchema.Column source, SequenceOutput[] outputs, string[] columnNames)
        : base(input, source, outputs.Select((o, k) => (columnNames[k], ColumnType(o))))
    {
        _scorer = scorer;
        _source = source;
        _outputs = outputs;
    }

    protected override ScoringWindow CreateWindow(DataViewRowCursor ahead) =>
        new WindowStore(this, ahead, _scorer.BatchSize * _scorer.GroupingWindow);

    // Per-step outputs hold each row's valid steps only, so their length varies by row.
    private static DataViewType ColumnType(SequenceOutput output)
    {
        var item = output.IsFloat ? NumberDataViewType.Single : NumberDataViewType.Int64;
        return output.PerStep ? new VectorDataViewType(item) : new VectorDataViewType(item, output.Inner);
    }

    private static DataViewSchema.Column RequireInput(DataViewSchema schema, string name, SequenceScoringPlan plan)
    {
        var column = SchemaValidation.RequireColumn(schema, name, "input");
        var vector = column.Type as VectorDataViewType;
        bool fits = plan.InputKind switch
        {
            SequenceInputKind.TokenIds => vector?.ItemType == NumberDataViewType.Int64 || vector?.ItemType == NumberDataViewType.Int32,
            SequenceInputKind.TokenStrings => vector?.ItemType is TextDataViewType,
            _ => vector?.ItemType == NumberDataViewType.Single,
        };
        if (!fits)
        {
            string wanted = plan.InputKind switch
            {
                SequenceInputKind.TokenIds => "a vector of Int64 (or Int32) token ids; map keys to ids with ConvertType first",
                SequenceInputKind.TokenStrings => "a vector of String tokens (for example from TokenizeIntoWords)",
                _ => $"a vector of Single features, {plan.InputSize} per step",
            };
            throw new ArgumentException($"The input column '{name}' is {SchemaValidation.Describe(column.Type)}; this model reads {OnnxSequenceScorer.Describe(plan.InputKind)}, so it must be {wanted}.");
        }
        if (plan.InputKind == SequenceInputKind.Features && vector!.Size % plan.InputSize != 0)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"The input column '{name}' holds {vector.Size} values per row, not a whole number of steps of {plan.InputSize} features."));
        return column;
    }

    /// <summary>
    /// One window of input rows copied out of the read-ahead cursor (the upstream may reuse its buffers), and their results. Every array
    /// only grows, so a long run of similar windows allocates nothing.
    /// </summary>
    private sealed class WindowStore : ScoringWindow
    {
        private readonly SequenceScoredDataView _parent;
        private readonly DataViewRowCursor _ahead;
        private readonly ValueGetter<DataViewRowId> _aheadId;
        private readonly int _capacity;
        private readonly OnnxSequenceScorer _scorer;
        private readonly SequenceInputKind _kind;
        private readonly ValueGetter<VBuffer<long>>? _longIds;
        private readonly ValueGetter<VBuffer<int>>? _intIds;
        private readonly ValueGetter<VBuffer<float>>? _features;
        private readonly ValueGetter<VBuffer<ReadOnlyMemory<char>>>? _tokens;
        private readonly DataViewRowId[] _rowIds;
        private readonly int[] _lengths;
        private readonly int[] _inputStart;
        private readonly long[] _sortKeys;
        private readonly int[] _order;
        private readonly int[][] _resultStart;
        private readonly int[][] _resultLength;
        private readonly float[][] _floatResults;
        private readonly long[][] _longResults;
        private VBuffer<long> _longRow;
        private VBuffer<int> _intRow;
        private VBuffer<float> _featureRow;
        private VBuffer<ReadOnlyMemory<char>> _tokenRow;
        private ReadOnlyMemory<char>[] _denseTokens = Array.Empty<ReadOnlyMemory<char>>();
        private int[] _intValues = Array.Empty<int>();
        private readonly int[] _written;
        private readonly SequenceBatchWorkspace _workspace;
        // Inputs of the window, one row after another: ids (also the lengths of string tokens), features, or characters.
        private long[] _ids = Array.Empty<long>();
        private float[] _values = Array.Empty<float>();
        private char[] _chars = Array.Empty<char>();
        private int[] _tokenEnds = Array.Empty<int>();

        public WindowStore(SequenceScoredDataView parent, DataViewRowCursor ahead, int capacity)
        {
            _parent = parent;
            _ahead = ahead;
            _scorer = parent._scorer;
            _kind = _scorer.Plan.InputKind;
            _capacity = capacity;
            _aheadId = ahead.GetIdGetter();
            var source = parent._source;
            switch (_kind)
            {
                case SequenceInputKind.TokenIds when ((VectorDataViewType)source.Type).ItemType == NumberDataViewType.Int64:
                    _longIds = ahead.GetGetter<VBuffer<long>>(source);
                    break;
                case SequenceInputKind.TokenIds:
                    _intIds = ahead.GetGetter<VBuffer<int>>(source);
                    break;
                case SequenceInputKind.Features:
                    _features = ahead.GetGetter<VBuffer<float>>(source);
                    break;
                default:
                    _tokens = ahead.GetGetter<VBuffer<ReadOnlyMemory<char>>>(source);
                    break;
            }
            _rowIds = new DataViewRowId[capacity];
            _lengths = new int[capacity];
            _inputStart = new int[capacity + 1];
            _sortKeys = new long[capacity];
            _order = new int[capacity];
            int outputs = parent._outputs.Length;
            _resultStart = Enumerable.Range(0, outputs).Select(_ => new int[capacity]).ToArray();
            _resultLength = Enumerable.Range(0, outputs).Select(_ => new int[capacity]).ToArray();
            _floatResults = Enumerable.Range(0, outputs).Select(_ => Array.Empty<float>()).ToArray();
            _longResults = Enumerable.Range(0, outputs).Select(_ => Array.Empty<long>()).ToArray();
            _written = new int[outputs];
            _workspace = _scorer.CreateWorkspace(parent._outputs);
        }

        public override ValueGetter<TValue> GetGetter<TValue>(int added, string name, Func<int> row)
        {
            if (_parent._outputs[added].IsFloat)
            {
                RequireType<TValue, VBuffer<float>>(name, "a vector of Single");
                ValueGetter<VBuffer<float>> floats = (ref VBuffer<float> value) => Copy(FloatResult(added, row()), ref value);
                return (ValueGetter<TValue>)(Delegate)floats;
            }
            RequireType<TValue, VBuffer<long>>(name, "a vector of Int64");
            ValueGetter<VBuffer<long>> longs = (ref VBuffer<long> value) => Copy(Int64Result(added, row()), ref value);
            return (ValueGetter<TValue>)(Delegate)longs;
        }

        public override void Dispose() => _workspace.Dispose();

        public override DataViewRowId RowId(int row) => _rowIds[row];

        public ReadOnlySpan<float> FloatResult(int output, int row) => _floatResults[output].AsSpan(_resultStart[output][row], _resultLength[output][row]);

        public ReadOnlySpan<long> Int64Result(int output, int row) => _longResults[output].AsSpan(_resultStart[output][row], _resultLength[output][row]);

        public override void ScoreNext(long firstPosition)
        {
            ObjectDisposedException.ThrowIf(_scorer.IsDisposed, _scorer);
            var workspace = _workspace;
            Count = 0;
            _inputStart[0] = 0;
            while (Count < _capacity && _ahead.MoveNext())
            {
                _aheadId(ref _rowIds[Count]);
                _lengths[Count] = ReadRow(Count, firstPosition + Count);
                Count++;
            }
            // Sort by length (the row number breaks ties, so the order is deterministic) and score in batches of similar length.
            long steps = 0;
            for (int r = 0; r < Count; r++)
            {
                _sortKeys[r] = ((long)_lengths[r] << 32) | (uint)r;
                _order[r] = r;
                steps += _lengths[r];
            }
            Array.Sort(_sortKeys, _order, 0, Count);
            // ONNX Runtime's recurrent kernels run every row of a batch for the batch's longest row, padding included. A window's
            // longest rows are few but long (review sentences: mean 13 words, longest 73), so a full batch of them pads most rows to
            // several times their length; capping each batch at BatchSize rows of the window's mean length cuts the padded steps of
            // the review sentences from 1.63 to 1.24 per word at the cost of a few more, smaller runs.
            long budget = (long)_scorer.BatchSize * Math.Max(1, (steps + Count - 1) / Math.Max(1, Count));
            var outputs = _parent._outputs;
            var written = _written;
            Array.Clear(written);
            for (int start = 0, rows; start < Count; start += rows)
            {
                rows = 1;
                while (start + rows < Count && rows < _scorer.BatchSize && (long)(rows + 1) * Math.Max(1, _lengths[_order[start + rows]]) <= budget)
                    rows++;
                var batch = _order.AsSpan(start, rows);
                workspace.Prepare(rows, Math.Max(1, _lengths[batch[^1]]));
                for (int i = 0; i < rows; i++)
                    workspace.Lengths[i] = _lengths[batch[i]];
                Fill(workspace, batch);
                workspace.Run();
                for (int k = 0; k < outputs.Length; k++)
                {
                    int stride = outputs[k].Stride(workspace.GraphSteps);
                    for (int i = 0; i < rows; i++)
                    {
                        int row = batch[i];
                        int valid = outputs[k].PerStep ? _scorer.Plan.GraphSteps(_lengths[row]) * outputs[k].Inner : stride;
                        _resultStart[k][row] = written[k];
                        _resultLength[k][row] = valid;
                        if (outputs[k].IsFloat)
                        {
                            _floatResults[k] = Grow(_floatResults[k], written[k] + valid);
                            workspace.FloatOutput(k).Slice(i * stride, valid).CopyTo(_floatResults[k].AsSpan(written[k]));
                        }
                        else
                        {
                            _longResults[k] = Grow(_longResults[k], written[k] + valid);
                            workspace.Int64Output(k).Slice(i * stride, valid).CopyTo(_longResults[k].AsSpan(written[k]));
                        }
                        written[k] += valid;
                    }
                }
            }
        }

        // Copies one row's input into the window's store, checks it and returns its length in steps.
        private int ReadRow(int row, long position)
        {
            string column = _parent._source.Name;
            var plan = _scorer.Plan;
            int start = _inputStart[row];
            int steps;
            switch (_kind)
            {
                case SequenceInputKind.TokenIds when _longIds is not null:
                    _longIds(ref _longRow);
                    _ids = Grow(_ids, start + _longRow.Length);
                    _longRow.CopyTo(_ids.AsSpan(start, _longRow.Length));
                    _scorer.CheckIds(_ids.AsSpan(start, _longRow.Length), position, column);
                    steps = plan.FedSteps(_longRow.Length);
                    break;
                case SequenceInputKind.TokenIds:
                    _intIds!(ref _intRow);
                    int count = _intRow.Length;
                    _ids = Grow(_ids, start + count);
                    if (_intValues.Length < count)
                        _intValues = new int[Math.Max(count, _intValues.Length * 2)];
                    _intRow.CopyTo(_intValues.AsSpan(0, count));
                    var span = _ids.AsSpan(start, count);
                    for (int i = 0; i < count; i++)
                        span[i] = _intValues[i];
                    _scorer.CheckIds(span, position, column);
                    steps = plan.FedSteps(count);
                    break;
                case SequenceInputKind.Features:
                    _features!(ref _featureRow);
                    _values = Grow(_values, start + _featureRow.Length);
                    _featureRow.CopyTo(_values.AsSpan(start, _featureRow.Length));
                    _scorer.CheckFeatures(_values.AsSpan(start, _featureRow.Length), position, column);
                    steps = _featureRow.Length / _scorer.InputSize;
                    break;
                default:
                    _tokens!(ref _tokenRow);
                    _scorer.CheckLength(_tokenRow.Length, position, column);
                    steps = plan.FedSteps(_tokenRow.Length);
                    if (_denseTokens.Length < _tokenRow.Length)
                        _denseTokens = new ReadOnlyMemory<char>[Math.Max(_tokenRow.Length, _denseTokens.Length * 2)];
                    _tokenRow.CopyTo(_denseTokens.AsSpan(0, _tokenRow.Length));
                    // Token i of the window ends at _tokenEnds[start + i]; the characters are copied because the upstream may reuse them.
                    _tokenEnds = Grow(_tokenEnds, start + steps);
                    int end = start == 0 ? 0 : _tokenEnds[start - 1];
                    for (int i = 0; i < steps; i++)
                    {
                        var token = _denseTokens[i].Span;
                        _chars = Grow(_chars, end + token.Length);
                        token.CopyTo(_chars.AsSpan(end));
                        end += token.Length;
                        _tokenEnds[start + i] = end;
                    }
                    break;
            }
            _inputStart[row + 1] = start + (_kind == SequenceInputKind.Features ? steps * _scorer.InputSize : steps);
            return steps;
        }

        private void Fill(SequenceBatchWorkspace workspace, ReadOnlySpan<int> batch)
        {
            int width = workspace.Width;
            switch (_kind)
            {
                case SequenceInputKind.TokenIds:
                {
                    var ids = workspace.Ids;
                    ids.Clear();
                    for (int i = 0; i < batch.Length; i++)
                        _ids.AsSpan(_inputStart[batch[i]], _lengths[batch[i]]).CopyTo(ids.Slice(i * width));
                    break;
                }
                case SequenceInputKind.Features:
                {
                    var features = workspace.Features;
                    features.Clear();
                    int size = _scorer.InputSize;
                    for (int i = 0; i < batch.Length; i++)
                        _values.AsSpan(_inputStart[batch[i]], _lengths[batch[i]] * size).CopyTo(features.Slice(i * width * size));
                    break;
                }
                default:
                    for (int i = 0; i < batch.Length; i++)
                    {
                        int row = batch[i];
                        int first = _inputStart[row];
                        for (int c = 0; c < width; c++)
                        {
                            if (c < _lengths[row])
                            {
                                int tokenStart = first + c == 0 ? 0 : _tokenEnds[first + c - 1];
                                workspace.SetToken(_chars.AsSpan(tokenStart, _tokenEnds[first + c] - tokenStart), i * width + c);
                            }
                            else
                            {
                                workspace.SetToken(ReadOnlySpan<char>.Empty, i * width + c);
                            }
                        }
                    }
                    break;
            }
        }

        // Appends keep what the window holds so far, so growing copies it.
        private static T[] Grow<T>(T[] buffer, int size)
        {
            if (buffer.Length < size)
                Array.Resize(ref buffer, Math.Max(size, buffer.Length * 2));
            return buffer;
        }
    }
}
