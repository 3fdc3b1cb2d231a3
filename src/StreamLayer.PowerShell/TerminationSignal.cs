using System;
using System.Collections.Generic;
using System.Linq;
using System.Linq.Expressions;
using System.Reflection;
using System.Threading.Tasks;

namespace StreamLayer.Commands
{
    /// <summary>
    /// SIGTERM (timeout, systemd, docker stop, CI cancellation) handled like Ctrl+C: every running command is stopped
    /// and given a bounded time to undo what it started (its upload session deleted, its partial file removed);
    /// then the signal takes its course and the process ends. PosixSignalRegistration is not in netstandard2.0, so
    /// it is reached by reflection where the runtime has it (PowerShell 7 on Linux and macOS); Windows PowerShell
    /// has no SIGTERM.
    /// </summary>
    internal static class TerminationSignal
    {
        // The session DELETE has 30 s at most; a layer's sink gets LayerOperation.CleanupTimeout (10 s) to start it.
        private static readonly TimeSpan s_cleanupBound = TimeSpan.FromSeconds(20);

        private static readonly HashSet<StreamLayerCommand> s_running = new HashSet<StreamLayerCommand>();
        private static readonly Lazy<object> s_registration = new Lazy<object>(Register);

        /// <summary>Tells the handler about a command that may have something to undo; registers the handler once.</summary>
        public static void Add(StreamLayerCommand command)
        {
            bool handled = s_registration.Value != null;
            lock (s_running)
            {
                // SIGINT ignored since the process started (a script's background job) stops a command too, as Ctrl+C does.
                if (s_running.Add(command) && s_running.Count == 1 && handled)
                {
                    IgnoredInterrupt.Take();
                }
            }
        }

        public static void Remove(StreamLayerCommand command)
        {
            lock (s_running)
            {
                if (s_running.Remove(command) && s_running.Count == 0)
                {
                    IgnoredInterrupt.GiveBack();
                }
            }
        }

        /// <summary>On the signal's thread: stops every running command and waits, bounded, for their cleanup.</summary>
        private static void OnTerminate()
        {
            StreamLayerCommand[] running;
            lock (s_running)
            {
                running = s_running.ToArray();
            }

            Task[] cleanups = running.Select(command => command.Terminate()).ToArray();
            try
            {
                Task.WaitAll(cleanups, s_cleanupBound);
            }
            catch (AggregateException)
            {
                // A layer that was stopped ends with its failure: that is the cleanup done.
            }
        }

        /// <summary>PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => OnTerminate()), or null where the runtime has none.</summary>
        private static object Register()
        {
            try
            {
                Type registration = Type.GetType("System.Runtime.InteropServices.PosixSignalRegistration, System.Runtime.InteropServices", throwOnError: false);
                Type signal = Type.GetType("System.Runtime.InteropServices.PosixSignal, System.Runtime.InteropServices", throwOnError: false);
                Type context = Type.GetType("System.Runtime.InteropServices.PosixSignalContext, System.Runtime.InteropServices", throwOnError: false);
                MethodInfo create = registration?.GetMethod("Create", new[] { signal, typeof(Action<>).MakeGenericType(context ?? typeof(object)) });
                if (create == null)
                {
                    return null;
                }

                ParameterExpression argument = Expression.Parameter(context, "context");
                Delegate handler = Expression.Lambda(
                    typeof(Action<>).MakeGenericType(context),
                    Expression.Call(typeof(TerminationSignal).GetMethod(nameof(OnTerminate), BindingFlags.NonPublic | BindingFlags.Static)),
                    argument).Compile();

                // Kept for the life of the process: disposing the registration would remove the handler.
                return create.Invoke(null, new object[] { Enum.Parse(signal, "SIGTERM"), handler });
            }
            catch (Exception e) when (e is TargetInvocationException || e is PlatformNotSupportedException || e is ArgumentException || e is InvalidOperationException)
            {
                return null;
            }
        }
    }
}
