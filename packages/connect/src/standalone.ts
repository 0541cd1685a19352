/**
 * Standalone mode: one worker runs every connector; configs come from the command line's
 * properties files (and REST calls, kept in memory as Kafka's standalone herder does); source
 * offsets live in offset.storage.file.filename.
 */
import { FileOffsetStore } from './offsets.js';
import type { Plugins } from './plugins.js';
import { type ConnectorInfo, ConnectRestError, Herder, notFound, StatusStore, taskConfigsChanged } from './herder.js';
import type { TargetState, TaskId } from './worker.js';
import type { WorkerConfig } from './worker-config.js';

export class StandaloneHerder extends Herder {
  private offsets: FileOffsetStore;
  /** One change at a time, as Kafka's synchronized herder methods. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(config: WorkerConfig, plugins: Plugins, workerId: string) {
    super(config, plugins, new StatusStore(workerId));
    this.offsets = new FileOffsetStore(config.offsetStorageFileFilename!);
  }

  private serial<X>(fn: () => Promise<X>): Promise<X> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => {});
    return next;
  }

  async start(): Promise<void> {
    await this.offsets.start();
    await this.startClients(this.offsets);
  }

  async stop(): Promise<void> {
    await this.serial(async () => {
      await this.worker?.stopAll();
      await this.producer?.close().catch(() => {});
      await this.admin?.close().catch(() => {});
    });
  }

  putConnectorConfig(name: string, config: Record<string, string>, allowReplace: boolean): Promise<{ created: boolean; info: ConnectorInfo }> {
    return this.serial(async () => {
      const full = await this.checkConfig(name, config);
      const exists = this.configState.connectorConfigs.has(name);
      if (exists && !allowReplace) throw new ConnectRestError(409, `Connector ${name} already exists`);
      if (exists) await this.stopConnectorAndTasks(name);
      this.configState.connectorConfigs.set(name, full);
      await this.startConnectorAndTasks(name);
      return { created: !exists, info: this.connectorInfo(name) };
    });
  }

  private async startConnectorAndTasks(name: string): Promise<void> {
    const config = this.configState.connectorConfigs.get(name)!;
    const target = this.configState.targetState(name);
    if (!(await this.worker.startConnector(name, config, target))) return;
    await this.updateTaskConfigs(name);
    for (const id of this.configState.tasksOf(name)) await this.worker.startTask(id, config, this.configState.taskConfigs.get(name)![id.task]!, target);
  }

  private async updateTaskConfigs(name: string): Promise<boolean> {
    const configs = this.worker.connectorTaskConfigs(name);
    if (configs === null) return false;
    const changed = taskConfigsChanged(this.configState.taskConfigs.get(name), configs);
    if (changed) this.configState.taskConfigs.set(name, configs);
    return changed;
  }

  private async stopConnectorAndTasks(name: string): Promise<void> {
    await Promise.all(this.configState.tasksOf(name).map((id) => this.worker.stopTask(id)));
    await this.worker.stopConnector(name);
  }

  deleteConnector(name: string): Promise<void> {
    return this.serial(async () => {
      if (!this.configState.connectorConfigs.has(name)) throw notFound(name);
      const tasks = this.configState.tasksOf(name);
      await this.stopConnectorAndTasks(name);
      this.configState.connectorConfigs.delete(name);
      this.configState.taskConfigs.delete(name);
      this.configState.targetStates.delete(name);
      this.status.forget(name, tasks);
    });
  }

  setTargetState(name: string, target: TargetState): Promise<void> {
    return this.serial(async () => {
      if (!this.configState.connectorConfigs.has(name)) throw notFound(name);
      this.configState.targetStates.set(name, target);
      this.worker.setTargetState(name, target);
    });
  }

  restartConnector(name: string): Promise<void> {
    return this.serial(async () => {
      const config = this.configState.connectorConfigs.get(name);
      if (config === undefined) throw notFound(name);
      await this.worker.stopConnector(name);
      await this.worker.startConnector(name, config, this.configState.targetState(name));
    });
  }

  restartTask(id: TaskId): Promise<void> {
    return this.serial(async () => {
      const config = this.configState.connectorConfigs.get(id.connector);
      if (config === undefined) throw notFound(id.connector);
      const taskConfig = this.configState.taskConfigs.get(id.connector)?.[id.task];
      if (taskConfig === undefined) throw new ConnectRestError(404, `Task ${id.connector}-${id.task} not found`);
      await this.worker.startTask(id, config, taskConfig, this.configState.targetState(id.connector));
    });
  }

  protected reconfigureTasks(name: string): Promise<void> {
    return this.serial(async () => {
      const config = this.configState.connectorConfigs.get(name);
      if (config === undefined || !this.worker.isRunning(name)) return;
      const old = this.configState.tasksOf(name);
      if (!(await this.updateTaskConfigs(name))) return;
      await Promise.all(old.map((id) => this.worker.stopTask(id)));
      for (const id of this.configState.tasksOf(name)) await this.worker.startTask(id, config, this.configState.taskConfigs.get(name)![id.task]!, this.configState.targetState(name));
    });
  }
}
