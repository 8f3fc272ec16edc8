export * from './skip';
export * from './env';
export * from './names';
export * from './kafka';
export * from './database';
export * from './broker';
export * from './netns';
