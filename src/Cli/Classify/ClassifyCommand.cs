using System.CommandLine;
using Spectre.Console;

namespace MlNetRnn.Cli.Classify;

/// <summary>Defines <c>mlnet-rnn classify</c> and its options.</summary>
internal static class ClassifyCommand
{
    public static Command Create()
    {
        var d = new ClassifySettings();
        var data = new Option<FileInfo?>("--data") { Description = "Tab- or comma-separated file with a header row (default: embedded Yelp + IMDB review sentences, 2,000 labelled)." };
        var textColumn = new Option<string>("--text-column") { Description = "Column holding the text.", DefaultValueFactory = _ => d.TextColumn };
        var labelColumn = new Option<string>("--label-column") { Description = "Column holding the label (two yes/no-like values: binary; otherwise multiclass).", DefaultValueFactory = _ => d.LabelColumn };
        var cell = new Option<string>("--cell") { Description = "Recurrent cell: lstm, gru, rnn-tanh or rnn-relu.", DefaultValueFactory = _ => "gru" };
        cell.AcceptOnlyFromAmong("lstm", "gru", "rnn-tanh", "rnn-relu");
        var hidden = new Option<int>("--hidden") { Description = "Hidden units per layer and direction (1-4096).", DefaultValueFactory = _ => d.Hidden }.InRange(1, 4096);
        var embedding = new Option<int>("--embedding") { Description = "Word embedding width (1-4096); with pretrained vectors it is their dimension.", DefaultValueFactory = _ => d.Embedding }.InRange(1, 4096);
        var embeddings = new Option<string>("--embeddings")
        {
            Description = "Pretrained word vectors the embedding starts from: 'none', or a GloVe / word2vec / fastText text file (plain or .gz). " +
                          "Default: the embedded GloVe 6B 100-d vectors (50,000 words, PDDL).",
        };
        var vectorTraining = new Option<string>("--vectors-training") { Description = "finetune (at --vectors-rate times the learning rate) or frozen.", DefaultValueFactory = _ => "finetune" };
        vectorTraining.AcceptOnlyFromAmong("finetune", "frozen");
        var vectorRate = new Option<double>("--vectors-rate") { Description = "Learning-rate multiplier of the pretrained rows when fine-tuned, in (0, 1].", DefaultValueFactory = _ => d.VectorLearningRateScale }.InRange(0, 1, minExclusive: true);
        var vectorFrozenEpochs = new Option<int>("--vectors-frozen-epochs") { Description = "Epochs the pretrained rows stay fixed before fine-tuning starts.", DefaultValueFactory = _ => d.VectorFrozenEpochs }.InRange(0, 100000);
        var dropout = new Option<double>("--dropout") { Description = "Dropout between stacked layers, in [0, 1).", DefaultValueFactory = _ => d.Dropout }.InRange(0, 1, maxExclusive: true);
        var splits = new Option<int>("--splits") { Description = "Seeded 80/20 splits to train and score ours and both baselines on (seeds --seed, --seed+1, ...); the model written is the first split's.", DefaultValueFactory = _ => d.Splits }.InRange(1, 100);
        var wide = new Option<bool>("--wide") { Description = "Add a wide part: a learned weight per word, averaged over the text and added to the logits (a bag-of-words model trained jointly)." };
        var ngrams = new Option<bool>("--ngrams") { Description = "Add an n-gram part: naive Bayes over the words and adjacent word pairs, counted on the training texts and added to the networks' logits in the same graph ('--ngrams false' to leave it out).", DefaultValueFactory = _ => d.Ngrams };
        var ngramWeight = new Option<double?>("--ngram-weight") { Description = "Weight of the n-gram part's logits, in [0, 10] (default: chosen on the validation texts from 0 to 1)." }.InRange(0, 10);
        var wordDropout = new Option<double>("--word-dropout") { Description = "Probability that a training word is replaced by the unknown word, in [0, 0.5].", DefaultValueFactory = _ => d.WordDropout }.InRange(0, 0.5);
        var vectorVocabulary = new Option<int>("--vectors-vocabulary") { Description = "Most frequent vector words added to the vocabulary even when no training text uses them.", DefaultValueFactory = _ => d.VectorVocabulary }.InRange(0, 10_000_000);
        var members = new Option<int>("--members") { Description = "Networks trained from consecutive seeds and averaged in one graph (1-20).", DefaultValueFactory = _ => d.Members }.InRange(1, 20);
        var packed = new Option<bool>("--packed") { Description = "Train on packed sequences instead of masked padding (same values; masked padding is faster on the CPU)." };
        var tuning = new Option<bool>("--tuning") { Description = "Score on an inner 20% of each training part instead of the test split, for choosing settings without reading the test splits." };
        var layers = new Option<int>("--layers") { Description = "Stacked layers (1-16).", DefaultValueFactory = _ => d.Layers }.InRange(1, 16);
        var unidirectional = new Option<bool>("--unidirectional") { Description = "Read texts forwards only (default: both directions)." };
        var pooling = new Option<string>("--pooling") { Description = "mean (over the words), mean-max (mean and maximum side by side) or last (final states).", DefaultValueFactory = _ => PoolingName(d.Pooling) };
        pooling.AcceptOnlyFromAmong("mean", "mean-max", "last");
        var maxLength = new Option<int>("--max-length") { Description = "Words kept per text (1-10000).", DefaultValueFactory = _ => d.MaxLength }.InRange(1, 10000);
        var epochs = new Option<int>("--epochs") { Description = "Maximum epochs (early stopping may end sooner).", DefaultValueFactory = _ => d.Epochs }.InRange(1, 100000);
        var seed = new Option<int>("--seed") { Description = "Seed of the 80/20 split, initialisation and batch order.", DefaultValueFactory = _ => d.Seed };
        var device = new Option<string>("--device") { Description = "cpu, cuda, cuda:N or auto.", DefaultValueFactory = _ => "cpu" }.IsDevice();
        var output = new Option<DirectoryInfo>("--output") { Description = "Folder for model.onnx, model.zip, roc.png or confusion.png, and summary.json.", DefaultValueFactory = _ => new DirectoryInfo(d.OutputDirectory) };

        var command = new Command("classify", "Train a recurrent text classifier and two ML.NET bag-of-words baselines on the same seeded 80/20 splits, and compare them (mean ± sd).")
        {
            data, textColumn, labelColumn, cell, hidden, embedding, embeddings, vectorTraining, vectorRate, vectorFrozenEpochs, layers, unidirectional, pooling, dropout, wide, ngrams, ngramWeight, wordDropout, vectorVocabulary, members, packed,
            maxLength, epochs, splits, tuning, seed, device, output,
        };
        var checkpoint = new CheckpointOptions();
        checkpoint.AddTo(command);
        command.SetAction((parseResult, cancellationToken) => Task.FromResult(CommandRunner.Run(() =>
        {
            // Column names only mean something for a user's file; silently ignoring them on the embedded data would hide a mistake.
            bool Given(Option<string> option) => parseResult.GetResult(option) is { Implicit: false };
            string? vectors = parseResult.GetValue(embeddings);
            if (vectors is { Length: 0 })
                throw new ArgumentException("--embeddings needs 'none' or the path of a vectors file.");
            if (parseResult.GetValue(data) is null && (Given(textColumn) || Given(labelColumn)))
                throw new ArgumentException("--text-column and --label-column name columns of the --data file; the embedded review sentences have fixed columns. Pass --data FILE as well.");
            var settings = new ClassifySettings
            {
                DataPath = parseResult.GetValue(data)?.FullName,
                TextColumn = parseResult.GetValue(textColumn)!,
                LabelColumn = parseResult.GetValue(labelColumn)!,
                Cell = ForecastCommand.ParseCell(parseResult.GetValue(cell)!),
                Hidden = parseResult.GetValue(hidden),
                Embedding = parseResult.GetValue(embedding),
                EmbeddingGiven = parseResult.GetResult(embedding) is { Implicit: false },
                Embeddings = vectors is null ? null : vectors.Equals(ClassifySettings.NoEmbeddings, StringComparison.OrdinalIgnoreCase) ? ClassifySettings.NoEmbeddings : vectors,
                VectorTraining = parseResult.GetValue(vectorTraining) == "frozen" ? WordVectorTraining.Frozen : WordVectorTraining.FineTune,
                VectorLearningRateScale = parseResult.GetValue(vectorRate),
                VectorFrozenEpochs = parseResult.GetValue(vectorFrozenEpochs),
                Dropout = parseResult.GetValue(dropout),
                Wide = parseResult.GetValue(wide),
                Ngrams = parseResult.GetValue(ngrams),
                NgramWeight = parseResult.GetValue(ngramWeight),
                Members = parseResult.GetValue(members),
                Packed = parseResult.GetValue(packed),
                WordDropout = parseResult.GetValue(wordDropout),
                VectorVocabulary = parseResult.GetValue(vectorVocabulary),
                Splits = parseResult.GetValue(splits),
                Tuning = parseResult.GetValue(tuning),
                Layers = parseResult.GetValue(layers),
                Bidirectional = !parseResult.GetValue(unidirectional),
                Pooling = parseResult.GetValue(pooling) switch { "last" => SequencePooling.LastStep, "mean-max" => SequencePooling.MeanMax, _ => SequencePooling.Mean },
                MaxLength = parseResult.GetValue(maxLength),
                Epochs = parseResult.GetValue(epochs),
                Seed = parseResult.GetValue(seed),
                Checkpoint = checkpoint.Read(parseResult),
                Device = ExecutionDevice.Parse(parseResult.GetValue(device)!),
                OutputDirectory = parseResult.GetValue(output)!.FullName,
            };
            ClassifyJob.Run(settings, AnsiConsole.Console, cancellationToken);
        })));
        return command;
    }

    private static string PoolingName(SequencePooling pooling) => pooling switch
    {
        SequencePooling.LastStep => "last",
        SequencePooling.MeanMax => "mean-max",
        _ => "mean",
    };
}
