export class TopicOperationError extends Error {
    errorName;
    name = 'TopicOperationError';
    constructor(errorName, message) {
        super(message);
        this.errorName = errorName;
    }
}
//# sourceMappingURL=errors.js.map